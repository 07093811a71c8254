/*
 * api_int.h - what the API's endpoint files share: the call context a
 * handler gets, the endpoint tables, the answer and input helpers, the
 * error catalogue. Not for use outside lib/api.
 *
 * A handler is `int fn(api_call *c, sertel_err *err)`. It returns
 * SERTEL_OK once it has written the answer (a success, or an error it
 * chose with api_error), or a sertel_rc with err set, which the dispatcher
 * turns into the error answer for that code (api_fail): the library's
 * message goes to the client for the codes that are about the request
 * (invalid, not found, denied, state, exists) and to the error log, never
 * to the client, for the others.
 */
#ifndef SERTEL_API_INT_H
#define SERTEL_API_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "http/http.h"
#include "ra/ra.h"
#include "util/err.h"

#define API_WUR __attribute__((warn_unused_result))

/* The name of the session cookie (with the __Host- prefix over TLS). */
#define API_COOKIE "sertel_session"
#define API_COOKIE_TLS "__Host-sertel_session"
#define API_CSRF_HEADER "X-CSRF-Token"

typedef enum api_lang { API_LANG_ID = 0, API_LANG_EN = 1 } api_lang;

/* Who may call an endpoint at all (the policy table decides the rest: a caller with no
 * reach at all for the endpoint's act, ra_policy_reach, is refused with 403 "forbidden" by
 * the dispatcher before the handler runs or the body is read). */
typedef enum api_auth {
    API_AUTH_NONE,    /* anyone; a valid session, when sent, still sets the actor */
    API_AUTH_SESSION, /* a logged-in person */
    API_AUTH_CLIENT,  /* an agency system (HTTP Basic) */
    API_AUTH_ANY,     /* either */
} api_auth;

/* What a request body holds. */
typedef enum api_in {
    API_IN_NONE, /* no body */
    API_IN_JSON, /* a JSON object (application/json), parsed into api_call.in */
    API_IN_FORM, /* multipart/form-data or urlencoded, as http_request.fields */
} api_in;

/* Endpoint flags. */
#define API_F_SECRET                                                                               \
    0x1u                     /* carries a password or passphrase: refused over plain HTTP          \
                                (except loopback and trusted proxies that say https) */
#define API_F_ENROLMENT 0x2u /* allowed to a session that must still enrol its factor */
#define API_F_FACADE 0x4u    /* BSrE facade: its own error shape (api_facade_error) */

typedef struct api api;

/* One request, as a handler sees it. */
typedef struct api_call {
    api *a;
    ra *r; /* borrowed from the pool for this call */
    const http_request *req;
    http_response *resp;
    api_lang lang;
    char addr[64]; /* the client's address (X-Forwarded-For of trusted proxies believed) */
    int secure;    /* TLS, loopback, or a trusted proxy that says https */
    int authed;    /* actor is set (a session or a client) */
    int by_client; /* the actor is an API client (HTTP Basic) */
    ra_actor actor;
    char cookie[RA_COOKIE_LEN + 1]; /* the session's cookie when authed by one */
    char csrf[RA_CSRF_LEN + 1];     /* the session's CSRF token */
    int factor_enrolment_needed;
    json_t *in; /* API_IN_JSON: the body (an object); owned by the dispatcher */
    unsigned flags;
} api_call;

typedef int (*api_fn)(api_call *c, sertel_err *err);

typedef struct api_endpoint {
    const char *method;
    const char *path; /* below the base path, "{}" for a segment: "/api/v1/applications/{}" */
    api_auth auth;
    api_in in;
    size_t max_body;  /* 0: the default for the kind of body */
    unsigned flags;   /* API_F_* */
    const char *name; /* metrics and the access log */
    api_fn fn;
    /* The policy action the endpoint performs (RA_ACT_COUNT: none, e.g. a
     * login or a public page); the authorization matrix test walks the
     * tables and expects each endpoint to answer as ra_policy_check says. */
    ra_action act;
} api_endpoint;

/* The endpoint tables, one per file; api.c lists them. */
extern const api_endpoint api_ep_session[];
extern const size_t api_ep_session_n;
extern const api_endpoint api_ep_review[];
extern const size_t api_ep_review_n;
extern const api_endpoint api_ep_admin[];
extern const size_t api_ep_admin_n;
extern const api_endpoint api_ep_audit[];
extern const size_t api_ep_audit_n;
extern const api_endpoint api_ep_docs[];
extern const size_t api_ep_docs_n;
extern const api_endpoint api_ep_openapi[];
extern const size_t api_ep_openapi_n;

/*
 * Every endpoint of every table, in routing order: api_endpoint_at(i) for
 * i < api_endpoint_count(), NULL beyond. For the tests that walk them (the
 * OpenAPI file's coverage, the authorization matrix).
 */
size_t api_endpoint_count(void);
const api_endpoint *api_endpoint_at(size_t i);

/* The OpenAPI 3.1 description (docs/api/openapi.json, embedded at build time). */
extern const unsigned char api_openapi_json[];
extern const size_t api_openapi_json_len;

/* --- the API object (api.c) --- */

struct api {
    char home[4096];
    char base_path[256];
    int tls;
    struct sbx *sb; /* the sandbox the handles check uploads in (shared) */
    /* the pool of registration authority handles */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    ra **free_ra;
    size_t nfree, nopen, max_open;
    /* [api] settings */
    char trusted[16][64]; /* trusted proxies' addresses */
    size_t ntrusted;
    size_t max_body; /* request body cap for uploads */
    /* routes handed to the server */
    struct api_route *routes;
    size_t nroutes;
};

/* --- answers --- */

/* Answer with a JSON value (stolen, also on failure), status and no-store. */
int api_json(api_call *c, int status, json_t *v) API_WUR;

/*
 * api_json for an answer that carries a secret shown once (a client's
 * secret): the JSON tree's strings and the answer's bytes are wiped before
 * they are freed.
 */
int api_json_secret(api_call *c, int status, json_t *v) API_WUR;

/* A time as JSON: an RFC 3339 UTC string ("2026-12-07T10:00:00Z"), null for 0. */
json_t *api_time_json(int64_t t);

/* A path below the base path as JSON ("/pki" + "/api/v1/..."), for links in answers. */
json_t *api_link_json(const api_call *c, const char *fmt, ...) SERTEL_PRINTF(2, 3);

/*
 * A query argument as a whole number within [min, max]: SERTEL_OK with
 * *out (def when absent), or the answer 400 "field_invalid" written
 * (API_TRY).
 */
int api_query_int(api_call *c, const char *name, int64_t def, int64_t min, int64_t max,
                  int64_t *out) API_WUR;

/* Answer 204 No Content. */
int api_no_content(api_call *c) API_WUR;

/*
 * Answer an error: {"error":{"code":code,"message":<catalogue, in the
 * caller's language>}} plus "detail" (detail_fmt, English, about the
 * request only: never a secret or an internal path) when detail_fmt is not
 * NULL. Returns SERTEL_OK (the answer is written).
 */
int api_error(api_call *c, int status, const char *code, const char *detail_fmt, ...)
    SERTEL_PRINTF(4, 5);

/*
 * The answer for a library failure: invalid 400 "invalid_request",
 * not found 404, denied 403 "forbidden", exists 409, state 409
 * "wrong_state", busy 503 "busy" with Retry-After, anything else 500
 * "internal" (the message is logged, not sent).
 */
int api_fail(api_call *c, int rc, const sertel_err *err);

/* The catalogue's message for code in lang (the code itself when unknown). */
const char *api_message(const char *code, api_lang lang);

/* The language Accept-Language prefers among Indonesian (the default) and English. */
api_lang api_lang_pick(const char *accept_language);

/* --- input --- */

/*
 * A string member of the JSON body: SERTEL_OK with *out (borrowed; NULL
 * when absent and not required), or the answer 400 "invalid_request"
 * written and SERTEL_ERR_INVALID returned (missing, not a string, longer
 * than max bytes, holding NUL). Handlers `return SERTEL_OK` on that error
 * (the answer is written): API_TRY below.
 */
int api_in_str(api_call *c, const char *key, bool required, size_t max, const char **out) API_WUR;

/* An integer member (JSON integer or a decimal string), within [min, max]. */
int api_in_int(api_call *c, const char *key, bool required, int64_t min, int64_t max,
               int64_t *out) API_WUR;

/* A "{}" segment of the path as a positive id (else the answer 404 "not_found"). */
int api_path_id(api_call *c, size_t i, int64_t *out) API_WUR;

/* Refuse (403 "tls_required") a secret over plain HTTP from a non-loopback, untrusted peer. */
int api_need_secure(api_call *c) API_WUR;

/* Run an input step that answers its own errors: on failure the handler is done. */
#define API_TRY(expr)                                                                              \
    do {                                                                                           \
        if ((expr) != SERTEL_OK)                                                                   \
            return SERTEL_OK;                                                                      \
    } while (0)

/* --- the session cookie --- */

/* Set the session cookie (HttpOnly, SameSite=Strict, Path=/, Secure over TLS). */
int api_set_cookie(api_call *c, const char *value) API_WUR;
/* Clear it in the browser. */
int api_clear_cookie(api_call *c);

/* The actor as JSON: {"account_id","email","role","agency_id"} or a client's. */
json_t *api_actor_json(const ra_actor *a);

/* Is addr a loopback address (127.0.0.0/8, ::1)? */
bool api_addr_loopback(const char *addr);

/*
 * The client's address: peer, or when peer is a trusted proxy the
 * right-most X-Forwarded-For entry that is not one (xff may be NULL).
 */
void api_client_addr(const api *a, const char *peer, const char *xff, char *out, size_t cap);

#endif
