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
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "http/http.h"
#include "pki/pki.h"
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
    0x1u                        /* carries a password or passphrase: refused over plain HTTP       \
                                   (except loopback and trusted proxies that say https) */
#define API_F_ENROLMENT 0x2u    /* allowed to a session that must still enrol its factor */
#define API_F_FACADE 0x4u       /* BSrE facade: its own error shape (api_facade_error) */
#define API_F_POOL_SIGN 0x8u    /* runs on the signing pool (pool.c): 429 when it is full */
#define API_F_POOL_VERIFY 0x10u /* runs on the validation pool */
#define API_F_UPLOAD                                                                               \
    0x20u                  /* an API_IN_JSON body carrying files (base64): capped by               \
                              [api] max_body_mib, not by the 1 MiB of other JSON bodies */
#define API_F_PREFIX 0x40u /* the path is a prefix: everything below it is routed here */
#define API_F_HTML                                                                                 \
    0x80u /* a page for people (the links in mails): HTML answers, errors                          \
             as a page, a CSP that allows a form to post back and nothing                          \
             else (no script, no style, no frames) */
#define API_F_DOCUMENT                                                                             \
    0x100u /* an operator's document (the CP/CPS): HTML with its inline style                      \
              and images, nothing that runs, sandboxed */

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
extern const api_endpoint api_ep_facade_v1[];
extern const size_t api_ep_facade_v1_n;
extern const api_endpoint api_ep_facade_v2[];
extern const size_t api_ep_facade_v2_n;
extern const api_endpoint api_ep_sign[];
extern const size_t api_ep_sign_n;

/* --- back-pressure (pool.c) --- */

/* A request admitted to a pool: its call (authenticated), endpoint and deferred answer. */
typedef struct api_job {
    struct api_job *next;
    const struct api_endpoint *ep;
    struct http_deferred *d;
    struct api_call *c;
} api_job;

/* Worker threads with a bounded FIFO queue (pool.c says why and how). */
typedef struct api_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t *threads;
    unsigned nthreads;
    unsigned slots, queue;     /* run at once (the threads); wait at most */
    unsigned running, waiting; /* now (waiting: admitted, not running yet) */
    api_job *head, *tail;
    int stop;
    int64_t avg_ms; /* moving average of how long a request holds a slot */
    uint64_t admitted, refused;
    unsigned max_waiting; /* the longest queue seen */
} api_pool;

int api_pool_start(api_pool *p, unsigned slots, unsigned queue, int64_t guess_ms,
                   sertel_err *err) API_WUR;
/* Stop the workers once the queue is empty and join them. */
void api_pool_stop(api_pool *p);
/*
 * Admit one request: SERTEL_OK (a place is held: api_pool_push or
 * api_pool_unreserve follows), or SERTEL_ERR_BUSY at once when slots +
 * queue are taken (*retry_after: seconds).
 */
int api_pool_reserve(api_pool *p, int64_t *retry_after) API_WUR;
void api_pool_unreserve(api_pool *p);
void api_pool_push(api_pool *p, api_job *j);
/* Run a job on a worker (api.c): the endpoint, its answer, the deferred request finished. */
void api_job_run(api_job *j);

#define API_RATE_SLOTS 1024
#define API_RATE_PROBE 8
typedef struct api_rate_slot {
    int used;
    char id[40];
    int64_t tokens_ms, last_ms;
} api_rate_slot;

/* One request of an API client against its rate limit: SERTEL_OK, or SERTEL_ERR_BUSY. */
int api_rate_take(api *a, const char *client_id, int64_t *retry_after) API_WUR;
extern const api_endpoint api_ep_people[]; /* ep_people.c: people, passphrase, second factor */
extern const size_t api_ep_people_n;
extern const api_endpoint api_ep_apply[]; /* ep_apply.c: applications */
extern const size_t api_ep_apply_n;
extern const api_endpoint api_ep_links[]; /* ep_links.c: the links in mails and stamps */
extern const size_t api_ep_links_n;
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
    size_t batch_max_files, max_pages;
    unsigned rate_per_min; /* per API client; 0: none */
    size_t sign_memory;    /* bytes the signing pool may hold in key derivations */
    /* signing and validation run on pools of their own (pool.c) */
    api_pool sign_pool, verify_pool;
    int pools_init;
    /* Passphrase checks at once (each holds one Argon2id derivation's memory): the sign pool
     * has twice as many workers, so one's signing and commits overlap another's derivation. */
    sem_t kdf_slots;
    int kdf_init;
    pthread_mutex_t rate_lock;
    api_rate_slot *rate;
    pki *services;        /* borrowed: the home's TSA etc. for signing (NULL: none) */
    pki *own_services;    /* opened by api_open when none was given */
    char spool_dir[4096]; /* where answers are written (unnamed files) */
    /* routes handed to the server */
    struct api_route *routes;
    size_t nroutes;
    int64_t next_tick; /* api_tick: when housekeeping runs next */
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

/*
 * Answer 200 with the JSON text built in b (taken over: b is empty after),
 * for answers too large to build as a jansson tree (signed files in
 * base64). SERTEL_ERR_NOMEM when b failed to grow.
 */
struct dynbuf;
int api_json_text(api_call *c, struct dynbuf *b) API_WUR;

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

/*
 * The BSrE facade's error shape, {"error": message, "status_code": N}, as
 * BSrE's clients parse it (DOMAIN.md: "Passphrase anda salah", 2031). On a
 * facade route (API_F_FACADE) api_error and so api_fail answer in it: the
 * catalogue's message for code (the detail, when given, after it in
 * parentheses) and the status_code api_facade_code gives.
 */
int api_facade_error(api_call *c, int status, const char *code, const char *detail_fmt, ...)
    SERTEL_PRINTF(4, 5);

/*
 * The BSrE status_code for an error code on a facade route: the facade's
 * own codes ("facade_passphrase_wrong" 2031, ...: errors.c), 4014 for
 * field_missing, 4015 for field_invalid, invalid_json and
 * invalid_request, 4024 for conflict, else the HTTP status.
 */
int api_facade_code(const char *code, int http_status);

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

/*
 * Overwrite a secret the request carried, once the handler has used it: the
 * JSON body's string member key (API_IN_JSON), or the form's text field of
 * that name (API_IN_FORM), wiped in place (sodium_memzero), so the freed
 * memory does not keep it. Absent members are ignored.
 */
void api_wipe_secret(api_call *c, const char *key);

/* Refuse (403 "tls_required") a secret over plain HTTP from a non-loopback, untrusted peer. */
int api_need_secure(api_call *c) API_WUR;

/*
 * A text field of a form body (API_IN_FORM), as api_in_str for JSON:
 * SERTEL_OK with *out (borrowed; NULL when absent and not required), or
 * the answer 400 written and SERTEL_ERR_INVALID (missing, sent twice, a
 * file where text belongs, longer than max bytes, holding NUL).
 */
int api_form_str(api_call *c, const char *name, bool required, size_t max,
                 const char **out) API_WUR;

/*
 * A file part of a form body: SERTEL_OK with *out (borrowed; its fd is the
 * spool file), or the answer 400 written and SERTEL_ERR_INVALID (missing,
 * sent twice, text where a file belongs).
 */
int api_form_file(api_call *c, const char *name, const http_field **out) API_WUR;

/*
 * A string member of the JSON body or, for a form body, a text field:
 * whichever the endpoint takes (api_in_str / api_form_str).
 */
int api_arg_str(api_call *c, const char *name, bool required, size_t max, const char **out) API_WUR;

/* A boolean: JSON true/false, or (forms, JSON strings) "true"/"false"/"1"/"0"/"on". */
int api_arg_bool(api_call *c, const char *name, bool *out) API_WUR;

/*
 * Overwrite the secrets a request carried once the answer is made: every
 * string of the JSON body (in place, before it is freed), the raw body,
 * and every text field of a form. The dispatcher calls it for API_F_SECRET
 * endpoints; a handler may call it earlier.
 */
void api_wipe_secrets(api_call *c);

/* --- times (RFC 3339, UTC) --- */

/* "2026-12-07T10:00:00Z" for t (Unix seconds), or JSON null when t is 0. */
json_t *api_time_json(int64_t t);

/* t as "2026-12-07T10:00:00Z" into out (>= 21 bytes). */
void api_time_str(int64_t t, char out[21]);

/*
 * Parse an RFC 3339 time with seconds and an offset ("2026-12-07T10:00:00Z",
 * "2026-12-07T17:00:00+07:00"; fractions of a second are dropped) into Unix
 * seconds. SERTEL_OK or SERTEL_ERR_INVALID.
 */
int api_time_parse(const char *s, int64_t *out) API_WUR;

/* --- pages (API_F_HTML) --- */

/*
 * Answer an HTML page: a minimal document in Indonesian with title (text,
 * escaped here) and body_html (HTML the caller built, its text escaped
 * with text_html_escape). No script, no style.
 */
int api_html_page(api_call *c, int status, const char *title, const char *body_html) API_WUR;

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
