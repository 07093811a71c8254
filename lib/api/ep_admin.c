/*
 * ep_admin.c - administration: agencies, staff accounts, lifting signing
 * locks and resetting authenticators, and agency systems (API clients):
 *
 *   GET    /api/v1/agencies                    the agencies the caller may see
 *   POST   /api/v1/agencies                    {name, domains[]}: register an agency
 *   GET    /api/v1/accounts                    ?role=&agency_id=&after=&limit=
 *   POST   /api/v1/accounts                    {role, agency_id?, email, name}: a staff account
 *   GET    /api/v1/accounts/{}                 one account
 *   POST   /api/v1/accounts/{}/unlock          lift the person's signing lock (ra_unlock)
 *   POST   /api/v1/accounts/{}/factor-reset    remove the account's authenticator (ra_totp_reset)
 *   GET    /api/v1/clients                     the API clients
 *   POST   /api/v1/clients                     {agency_id, name, scopes[], vouches_login?}: the
 *                                              secret is in this answer only
 *   POST   /api/v1/clients/{}/rotate           a new secret (the old one stops at once)
 *   DELETE /api/v1/clients/{}                  disable for good
 *
 * The rules (administrators only for agencies, accounts and clients; the
 * agency's verifier or an administrator, never for their own account, for
 * unlocks and resets; who sees which account) are the policy table's. An
 * account the caller may not see answers 404 like one that does not exist.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "ra/nik.h"

#define ACCOUNTS_DEFAULT 100
#define ACCOUNTS_MAX 1000
#define DOMAINS_MAX 32 /* domains in one request */

/* --- agencies --- */

static int agency_add_one(const ra_agency *a, void *arg)
{
    json_t *arr = arg, *doms = json_array(), *o;
    size_t i;

    for (i = 0; doms != NULL && i < a->ndomains; i++)
        json_array_append_new(doms, json_string(a->domains[i]));
    o = json_pack("{s:I, s:s, s:o, s:o}", "id", (json_int_t)a->id, "name", a->name, "domains",
                  doms ? doms : json_null(), "created_at", api_time_json(a->created_at));
    return o == NULL || json_array_append_new(arr, o) != 0;
}

static int agencies(api_call *c, sertel_err *err)
{
    json_t *arr = json_array();
    int rc;

    if (arr == NULL)
        return SERTEL_ERR_NOMEM;
    rc = ra_agency_list(c->r, &c->actor, agency_add_one, arr, err);
    if (rc != SERTEL_OK) {
        json_decref(arr);
        return rc > 0 ? SERTEL_ERR_NOMEM : rc;
    }
    return api_json(c, 200, json_pack("{s:o}", "agencies", arr));
}

/* The agency with id, as the listing shows it (for the answer to a change). */
struct find_agency {
    int64_t id;
    json_t *found;
};

static int agency_match(const ra_agency *a, void *arg)
{
    struct find_agency *f = arg;
    json_t *one;

    if (a->id != f->id)
        return 0;
    one = json_array();
    if (one != NULL && agency_add_one(a, one) == 0)
        f->found = json_incref(json_array_get(one, 0));
    json_decref(one);
    return 1;
}

static int agency_add(api_call *c, sertel_err *err)
{
    const char *name, *doms[DOMAINS_MAX];
    json_t *arr = json_object_get(c->in, "domains"), *v;
    struct find_agency f = {0, NULL};
    size_t i, n;
    int rc;

    API_TRY(api_in_str(c, "name", true, 256, &name));
    if (arr == NULL)
        return api_error(c, 400, "field_missing", "'domains' is required");
    if (!json_is_array(arr) || (n = json_array_size(arr)) == 0 || n > DOMAINS_MAX)
        return api_error(c, 400, "field_invalid",
                         "'domains' must be a list of 1 to %d official e-mail domains",
                         DOMAINS_MAX);
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) != strlen(json_string_value(v)))
            return api_error(c, 400, "field_invalid", "'domains' must hold strings");
        doms[i] = json_string_value(v);
    }
    rc = ra_agency_add(c->r, &c->actor, name, doms, n, &f.id, err);
    if (rc != SERTEL_OK)
        return rc;
    if (ra_agency_list(c->r, &c->actor, agency_match, &f, err) < 0 || f.found == NULL) {
        sertel_err_clear(err);
        json_decref(f.found);
        return api_json(c, 201, json_pack("{s:{s:I}}", "agency", "id", (json_int_t)f.id));
    }
    return api_json(c, 201, json_pack("{s:o}", "agency", f.found));
}

/* --- accounts --- */

static json_t *account_json(const ra_account *a)
{
    json_t *o, *person = json_null();
    char masked[NIK_LEN + 1];

    if (a->person) {
        nik_mask(a->nik, masked);
        person = json_pack("{s:s, s:s, s:s, s:b, s:b}", "nik_masked", masked, "unit", a->unit,
                           "position", a->position, "email_confirmed", a->email_confirmed,
                           "signing_locked", a->signing_locked);
    }
    o = json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:b, s:b, s:o}", "id", (json_int_t)a->id, "email",
                  a->email, "name", a->name, "role", a->role, "agency_id",
                  a->agency_id ? json_integer(a->agency_id) : json_null(), "created_at",
                  api_time_json(a->created_at), "password_set", a->password_set, "factor_enrolled",
                  a->factor_enrolled, "person", person ? person : json_null());
    return o;
}

struct acc_list {
    json_t *arr;
    int64_t last;
};

static int account_add_one(const ra_account *a, void *arg)
{
    struct acc_list *l = arg;
    json_t *o = account_json(a);

    l->last = a->id;
    return o == NULL || json_array_append_new(l->arr, o) != 0;
}

static int accounts(api_call *c, sertel_err *err)
{
    struct acc_list l = {json_array(), 0};
    ra_account_filter f = {NULL, 0, 0, 0};
    int64_t limit;
    size_t n = 0;
    int rc;

    if (l.arr == NULL)
        return SERTEL_ERR_NOMEM;
    f.role = http_query(c->req, "role");
    if (f.role != NULL && strcmp(f.role, RA_ROLE_ADMIN) != 0 &&
        strcmp(f.role, RA_ROLE_VERIFIER) != 0 && strcmp(f.role, RA_ROLE_AUDITOR) != 0 &&
        strcmp(f.role, RA_ROLE_APPLICANT) != 0) {
        json_decref(l.arr);
        return api_error(c, 400, "field_invalid",
                         "'role' must be admin, verifier, auditor or applicant");
    }
    if (api_query_int(c, "agency_id", 0, 1, INT64_MAX, &f.agency_id) != SERTEL_OK ||
        api_query_int(c, "after", 0, 0, INT64_MAX, &f.after) != SERTEL_OK ||
        api_query_int(c, "limit", ACCOUNTS_DEFAULT, 1, ACCOUNTS_MAX, &limit) != SERTEL_OK) {
        json_decref(l.arr);
        return SERTEL_OK; /* answered */
    }
    f.limit = (size_t)limit;
    rc = ra_account_list(c->r, &c->actor, &f, account_add_one, &l, &n, err);
    if (rc != SERTEL_OK) {
        json_decref(l.arr);
        return rc > 0 ? SERTEL_ERR_NOMEM : rc;
    }
    /* A full page may have a next one: ask again with after=next_after. */
    return api_json(c, 200,
                    json_pack("{s:o, s:o}", "accounts", l.arr, "next_after",
                              n == f.limit ? json_integer(l.last) : json_null()));
}

static int account_get(api_call *c, sertel_err *err)
{
    ra_account a;
    int64_t id;
    int rc;

    API_TRY(api_path_id(c, 0, &id));
    if ((rc = ra_account_get(c->r, &c->actor, id, &a, err)) != SERTEL_OK)
        return rc;
    return api_json(c, 200, json_pack("{s:o}", "account", account_json(&a)));
}

static int account_add(api_call *c, sertel_err *err)
{
    const char *role, *email, *name;
    int64_t agency = 0, id = 0;
    ra_account a;
    int rc;

    API_TRY(api_in_str(c, "role", true, 16, &role));
    API_TRY(api_in_int(c, "agency_id", false, 0, INT64_MAX, &agency));
    API_TRY(api_in_str(c, "email", true, 254, &email));
    API_TRY(api_in_str(c, "name", true, 256, &name));
    rc = ra_account_add(c->r, &c->actor, role, agency, email, name, &id, err);
    if (rc != SERTEL_OK)
        return rc;
    if (ra_account_get(c->r, &c->actor, id, &a, err) != SERTEL_OK) {
        sertel_err_clear(err);
        return api_json(c, 201, json_pack("{s:{s:I}}", "account", "id", (json_int_t)id));
    }
    return api_json(c, 201, json_pack("{s:o}", "account", account_json(&a)));
}

/* Unlock or reset the factor of the account in the path, then answer it as it is now. */
static int account_act(api_call *c, int (*act)(ra *, const ra_actor *, const char *, sertel_err *),
                       sertel_err *err)
{
    ra_account a;
    int64_t id;
    int rc;

    API_TRY(api_path_id(c, 0, &id));
    /* An account the caller may not see is not found (its id is not confirmed). */
    if ((rc = ra_account_get(c->r, &c->actor, id, &a, err)) != SERTEL_OK)
        return rc;
    if ((rc = act(c->r, &c->actor, a.email, err)) != SERTEL_OK)
        return rc;
    if ((rc = ra_account_get(c->r, &c->actor, id, &a, err)) != SERTEL_OK)
        return rc;
    return api_json(c, 200, json_pack("{s:o}", "account", account_json(&a)));
}

static int account_unlock(api_call *c, sertel_err *err)
{
    return account_act(c, ra_unlock, err);
}

static int account_factor_reset(api_call *c, sertel_err *err)
{
    return account_act(c, ra_totp_reset, err);
}

/* --- API clients --- */

static json_t *scopes_json(unsigned scopes)
{
    static const struct {
        unsigned bit;
        const char *name;
    } s[] = {{RA_SCOPE_SIGN, "sign"},
             {RA_SCOPE_VERIFY, "verify"},
             {RA_SCOPE_STATUS, "status"},
             {RA_SCOPE_REGISTER, "register"}};
    json_t *a = json_array();
    size_t i;

    for (i = 0; a != NULL && i < sizeof(s) / sizeof(s[0]); i++)
        if (scopes & s[i].bit)
            json_array_append_new(a, json_string(s[i].name));
    return a;
}

static json_t *client_json(const ra_client *cl)
{
    json_t *sc = scopes_json(cl->scopes);

    return json_pack("{s:s, s:I, s:s, s:o, s:b, s:b, s:o, s:o}", "id", cl->id, "agency_id",
                     (json_int_t)cl->agency_id, "name", cl->name, "scopes", sc ? sc : json_null(),
                     "disabled", cl->disabled, "vouches_login", cl->vouches_login, "created_at",
                     api_time_json(cl->created_at), "rotated_at", api_time_json(cl->rotated_at));
}

static int client_add_one(const ra_client *cl, void *arg)
{
    json_t *o = client_json(cl);

    return o == NULL || json_array_append_new(arg, o) != 0;
}

static int clients(api_call *c, sertel_err *err)
{
    json_t *arr = json_array();
    int rc;

    if (arr == NULL)
        return SERTEL_ERR_NOMEM;
    rc = ra_client_list(c->r, &c->actor, client_add_one, arr, err);
    if (rc != SERTEL_OK) {
        json_decref(arr);
        return rc > 0 ? SERTEL_ERR_NOMEM : rc;
    }
    return api_json(c, 200, json_pack("{s:o}", "clients", arr));
}

/* "scopes": ["sign", "verify"] or "sign,verify" -> RA_SCOPE_* bits (ra_scopes_parse). */
static int in_scopes(api_call *c, unsigned *out)
{
    json_t *v = json_object_get(c->in, "scopes"), *e;
    char buf[64] = "";
    size_t i, o = 0;
    sertel_err e2 = {0};

    if (v == NULL) {
        (void)api_error(c, 400, "field_missing", "'scopes' is required");
        return SERTEL_ERR_INVALID;
    }
    if (json_is_string(v) && json_string_length(v) < sizeof(buf) &&
        json_string_length(v) == strlen(json_string_value(v))) {
        snprintf(buf, sizeof(buf), "%s", json_string_value(v));
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, e)
        {
            if (!json_is_string(e) || json_string_length(e) != strlen(json_string_value(e)) ||
                o + json_string_length(e) + 2 > sizeof(buf)) {
                (void)api_error(c, 400, "field_invalid",
                                "'scopes' lists sign, verify, status and register");
                return SERTEL_ERR_INVALID;
            }
            o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? "," : "",
                                  json_string_value(e));
        }
    } else {
        (void)api_error(c, 400, "field_invalid",
                        "'scopes' lists sign, verify, status and register");
        return SERTEL_ERR_INVALID;
    }
    if (ra_scopes_parse(buf, out, &e2) != SERTEL_OK) {
        (void)api_error(c, 400, "field_invalid", "%s", e2.msg);
        return SERTEL_ERR_INVALID;
    }
    return SERTEL_OK;
}

/* The client with id, as the listing shows it. */
struct find_client {
    const char *id;
    json_t *found;
};

static int client_match(const ra_client *cl, void *arg)
{
    struct find_client *f = arg;

    if (strcmp(cl->id, f->id) != 0)
        return 0;
    f->found = client_json(cl);
    return 1;
}

/* Answer a client with its secret (shown this once), wiped after sending. */
static int client_secret_answer(api_call *c, int status, const char *id, char *secret,
                                sertel_err *err)
{
    struct find_client f = {id, NULL};
    json_t *o;

    if (ra_client_list(c->r, &c->actor, client_match, &f, err) < 0 || f.found == NULL) {
        sertel_err_clear(err);
        json_decref(f.found);
        f.found = json_pack("{s:s}", "id", id);
    }
    o = json_pack("{s:o, s:s, s:s}", "client", f.found ? f.found : json_null(), "secret", secret,
                  "secret_note",
                  "shown once: store it in the agency system's configuration now; sertel keeps "
                  "only a keyed hash of it");
    sodium_memzero(secret, RA_CLIENT_SECRET_LEN + 1);
    return api_json_secret(c, status, o);
}

static int client_add(api_call *c, sertel_err *err)
{
    const char *name;
    int64_t agency;
    unsigned scopes = 0;
    json_t *vl = json_object_get(c->in, "vouches_login");
    char id[40], secret[RA_CLIENT_SECRET_LEN + 1];
    int rc;

    API_TRY(api_in_int(c, "agency_id", true, 1, INT64_MAX, &agency));
    API_TRY(api_in_str(c, "name", true, 128, &name));
    API_TRY(in_scopes(c, &scopes));
    if (vl != NULL && !json_is_boolean(vl))
        return api_error(c, 400, "field_invalid", "'vouches_login' must be true or false");
    rc = ra_client_add(c->r, &c->actor, agency, name, scopes, vl != NULL && json_is_true(vl), id,
                       secret, err);
    if (rc != SERTEL_OK)
        return rc;
    return client_secret_answer(c, 201, id, secret, err);
}

/* The client id in the path: "cl_" and hex digits, else not found. */
static int path_client(api_call *c, const char **out)
{
    const char *id = c->req->nparams > 0 ? c->req->params[0] : "";
    size_t n = strlen(id);

    *out = id;
    if (n > 3 && n < 40 && strncmp(id, "cl_", 3) == 0 &&
        strspn(id + 3, "0123456789abcdef") == n - 3)
        return SERTEL_OK;
    (void)api_error(c, 404, "not_found", NULL);
    return SERTEL_ERR_NOTFOUND;
}

static int client_rotate(api_call *c, sertel_err *err)
{
    const char *id;
    char secret[RA_CLIENT_SECRET_LEN + 1];
    int rc;

    API_TRY(path_client(c, &id));
    rc = ra_client_rotate(c->r, &c->actor, id, secret, err);
    if (rc != SERTEL_OK)
        return rc;
    return client_secret_answer(c, 200, id, secret, err);
}

static int client_disable(api_call *c, sertel_err *err)
{
    const char *id;
    int rc;

    API_TRY(path_client(c, &id));
    if ((rc = ra_client_disable(c->r, &c->actor, id, err)) != SERTEL_OK)
        return rc;
    return api_no_content(c);
}

const api_endpoint api_ep_admin[] = {
    {"GET", "/api/v1/agencies", API_AUTH_SESSION, API_IN_NONE, 0, 0, "agencies", agencies,
     RA_ACT_AGENCY_VIEW},
    {"POST", "/api/v1/agencies", API_AUTH_SESSION, API_IN_JSON, 0, 0, "agency_add", agency_add,
     RA_ACT_AGENCY_ADD},
    {"GET", "/api/v1/accounts", API_AUTH_SESSION, API_IN_NONE, 0, 0, "accounts", accounts,
     RA_ACT_ACCOUNT_VIEW},
    {"POST", "/api/v1/accounts", API_AUTH_SESSION, API_IN_JSON, 0, 0, "account_add", account_add,
     RA_ACT_ACCOUNT_ADD},
    {"GET", "/api/v1/accounts/{}", API_AUTH_SESSION, API_IN_NONE, 0, 0, "account_get", account_get,
     RA_ACT_ACCOUNT_VIEW},
    {"POST", "/api/v1/accounts/{}/unlock", API_AUTH_SESSION, API_IN_NONE, 0, 0, "account_unlock",
     account_unlock, RA_ACT_UNLOCK},
    {"POST", "/api/v1/accounts/{}/factor-reset", API_AUTH_SESSION, API_IN_NONE, 0, 0,
     "account_factor_reset", account_factor_reset, RA_ACT_FACTOR_RESET},
    {"GET", "/api/v1/clients", API_AUTH_SESSION, API_IN_NONE, 0, 0, "clients", clients,
     RA_ACT_CLIENT_ADMIN},
    {"POST", "/api/v1/clients", API_AUTH_SESSION, API_IN_JSON, 0, 0, "client_add", client_add,
     RA_ACT_CLIENT_ADMIN},
    {"POST", "/api/v1/clients/{}/rotate", API_AUTH_SESSION, API_IN_NONE, 0, 0, "client_rotate",
     client_rotate, RA_ACT_CLIENT_ADMIN},
    {"DELETE", "/api/v1/clients/{}", API_AUTH_SESSION, API_IN_NONE, 0, 0, "client_disable",
     client_disable, RA_ACT_CLIENT_ADMIN},
};
const size_t api_ep_admin_n = sizeof(api_ep_admin) / sizeof(api_ep_admin[0]);
