/*
 * test_openapi.c - the OpenAPI 3.1 description compiled into the binary
 * (docs/api/openapi.json, https://spec.openapis.org/oas/v3.1.0) against
 * the endpoint tables it describes:
 *   - every route of every table (api_endpoint_at) is a path and method of
 *     the file, with the route's name as operationId and its policy action
 *     as x-sertel-action; every path and method of the file is a route;
 *   - how a route authenticates is what its security says (session cookie,
 *     plus the CSRF header on unsafe methods; HTTP Basic for agency
 *     systems), and what it reads is its requestBody (a JSON example for
 *     JSON bodies: the authorization matrix sends it);
 *   - every error code of the catalogue (lib/api/errors.c) is in the Error
 *     schema's enum, and nothing else is;
 *   - the file holds together: an OpenAPI 3.1 document, every $ref
 *     resolves, operationIds are unique, every operation has responses,
 *     every path template has its required path parameter, security names
 *     defined schemes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "api/api_int.h"

size_t api_catalogue_size(void);
const char *api_catalogue_code(size_t i);

static const char *const methods[] = {"get",   "put",  "post",    "delete",
                                      "patch", "head", "options", "trace"};

static json_t *load(void)
{
    json_error_t je;
    json_t *doc = json_loadb((const char *)api_openapi_json, api_openapi_json_len,
                             JSON_REJECT_DUPLICATES, &je);

    if (doc == NULL)
        fail_msg("docs/api/openapi.json: line %d: %s", je.line, je.text);
    assert_true(json_is_object(doc));
    return doc;
}

/* "/api/v1/applications/{application_id}/decision" -> "/api/v1/applications/{}/decision" */
static void normalise(const char *in, char *out, size_t cap)
{
    size_t o = 0;

    while (*in && o + 3 < cap) {
        if (*in == '{') {
            const char *e = strchr(in, '}');
            assert_non_null(e);
            out[o++] = '{';
            out[o++] = '}';
            in = e + 1;
        } else {
            out[o++] = *in++;
        }
    }
    out[o] = '\0';
}

static void lower(const char *in, char *out, size_t cap)
{
    size_t i;

    for (i = 0; in[i] && i + 1 < cap; i++)
        out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
    out[i] = '\0';
}

/* The operation of the file for method and a normalised path, or NULL. */
static json_t *find_op(json_t *doc, const char *method, const char *norm)
{
    json_t *paths = json_object_get(doc, "paths"), *item;
    const char *p;
    char n[512];

    json_object_foreach(paths, p, item)
    {
        normalise(p, n, sizeof(n));
        if (strcmp(n, norm) == 0)
            return json_object_get(item, method);
    }
    return NULL;
}

/* Resolve a local reference ("#/components/schemas/Error"). */
static json_t *deref(json_t *doc, const char *ref)
{
    char part[128];
    json_t *v = doc;

    if (strncmp(ref, "#/", 2) != 0)
        return NULL;
    ref += 2;
    while (*ref && v != NULL) {
        size_t n = strcspn(ref, "/");
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, ref, n);
        part[n] = '\0';
        v = json_object_get(v, part);
        ref += n + (ref[n] == '/');
    }
    return v;
}

static json_t *resolved(json_t *doc, json_t *v)
{
    json_t *r = json_object_get(v, "$ref");

    return r != NULL ? deref(doc, json_string_value(r)) : v;
}

/* Does a security requirement list hold one that names exactly these schemes? */
static int has_requirement(json_t *sec, const char *a, const char *b)
{
    json_t *req;
    size_t i;

    json_array_foreach(sec, i, req)
    {
        size_t want = (a != NULL) + (b != NULL);
        if (json_object_size(req) == want && (a == NULL || json_object_get(req, a)) &&
            (b == NULL || json_object_get(req, b)))
            return 1;
    }
    return 0;
}

static void test_routes_described(void **state)
{
    json_t *doc = load();
    size_t i;

    (void)state;
    assert_true(api_endpoint_count() > 10);
    for (i = 0; i < api_endpoint_count(); i++) {
        const api_endpoint *ep = api_endpoint_at(i);
        char m[16];
        json_t *op, *act, *sec, *rb, *content;
        int unsafe;

        lower(ep->method, m, sizeof(m));
        op = find_op(doc, m, ep->path);
        if (op == NULL)
            fail_msg("%s %s (%s) is a route but not in docs/api/openapi.json", ep->method, ep->path,
                     ep->name);
        if (!json_is_string(json_object_get(op, "operationId")) ||
            strcmp(json_string_value(json_object_get(op, "operationId")), ep->name) != 0)
            fail_msg("%s %s: operationId must be the route's name %s", ep->method, ep->path,
                     ep->name);
        act = json_object_get(op, "x-sertel-action");
        if (ep->act == RA_ACT_COUNT)
            assert_null(act);
        else if (!json_is_string(act) ||
                 strcmp(json_string_value(act), ra_action_name(ep->act)) != 0)
            fail_msg("%s %s: x-sertel-action must be %s", ep->method, ep->path,
                     ra_action_name(ep->act));
        /* security as the dispatcher authenticates */
        sec = json_object_get(op, "security");
        if (!json_is_array(sec))
            fail_msg("%s %s: no security", ep->method, ep->path);
        unsafe = strcmp(ep->method, "GET") != 0 && strcmp(ep->method, "HEAD") != 0;
        switch (ep->auth) {
        case API_AUTH_NONE:
            if (!has_requirement(sec, NULL, NULL))
                fail_msg("%s %s: a public route has the empty security requirement {}", ep->method,
                         ep->path);
            break;
        case API_AUTH_SESSION:
        case API_AUTH_ANY:
            if (!has_requirement(sec, "sessionCookie", unsafe ? "csrfToken" : NULL))
                fail_msg("%s %s: security must be the session cookie%s", ep->method, ep->path,
                         unsafe ? " with the CSRF header" : "");
            if (ep->auth == API_AUTH_ANY && !has_requirement(sec, "clientBasic", NULL))
                fail_msg("%s %s: agency systems call it too (clientBasic)", ep->method, ep->path);
            if (ep->auth == API_AUTH_SESSION && has_requirement(sec, "clientBasic", NULL))
                fail_msg("%s %s: agency systems cannot call it", ep->method, ep->path);
            break;
        case API_AUTH_CLIENT:
            if (!has_requirement(sec, "clientBasic", NULL) || json_array_size(sec) != 1)
                fail_msg("%s %s: security must be clientBasic", ep->method, ep->path);
            break;
        }
        /* the body as the route reads it */
        rb = resolved(doc, json_object_get(op, "requestBody"));
        content = json_object_get(rb, "content");
        if (ep->in == API_IN_NONE && rb != NULL)
            fail_msg("%s %s takes no body but describes one", ep->method, ep->path);
        if (ep->in == API_IN_JSON &&
            json_object_get(json_object_get(content, "application/json"), "example") == NULL)
            fail_msg("%s %s: a JSON requestBody with an example", ep->method, ep->path);
        if (ep->in == API_IN_FORM && json_object_get(content, "multipart/form-data") == NULL)
            fail_msg("%s %s: a multipart/form-data requestBody", ep->method, ep->path);
    }
    json_decref(doc);
}

static void test_paths_routed(void **state)
{
    json_t *doc = load(), *paths = json_object_get(doc, "paths"), *item;
    const char *p;
    size_t nops = 0;

    (void)state;
    json_object_foreach(paths, p, item)
    {
        size_t k, i;
        char norm[512];
        normalise(p, norm, sizeof(norm));
        for (k = 0; k < sizeof(methods) / sizeof(methods[0]); k++) {
            int found = 0;
            if (json_object_get(item, methods[k]) == NULL)
                continue;
            nops++;
            for (i = 0; i < api_endpoint_count() && !found; i++) {
                const api_endpoint *ep = api_endpoint_at(i);
                char m[16];
                lower(ep->method, m, sizeof(m));
                found = strcmp(m, methods[k]) == 0 && strcmp(ep->path, norm) == 0;
            }
            if (!found)
                fail_msg("docs/api/openapi.json describes %s %s, which no route serves", methods[k],
                         p);
        }
    }
    assert_int_equal(nops, api_endpoint_count());
    json_decref(doc);
}

static void test_error_codes(void **state)
{
    json_t *doc = load(), *e;
    json_t *codes;
    size_t i, j;

    (void)state;
    e = deref(doc, "#/components/schemas/Error/properties/error/properties/code/enum");
    if (!json_is_array(e))
        fail_msg("components.schemas.Error lists the codes in error.code's enum");
    codes = e;
    for (i = 0; i < api_catalogue_size(); i++) {
        int found = 0;
        json_array_foreach(codes, j, e) found |=
            strcmp(json_string_value(e), api_catalogue_code(i)) == 0;
        if (!found)
            fail_msg("error code %s (lib/api/errors.c) is not in the OpenAPI Error schema",
                     api_catalogue_code(i));
    }
    assert_int_equal(json_array_size(codes), api_catalogue_size());
    json_decref(doc);
}

/* Every "$ref" in the tree resolves. */
static void check_refs(json_t *doc, json_t *v, const char *where)
{
    const char *k;
    json_t *m;
    size_t i;

    if (json_is_object(v)) {
        json_object_foreach(v, k, m)
        {
            if (strcmp(k, "$ref") == 0) {
                if (!json_is_string(m) || deref(doc, json_string_value(m)) == NULL)
                    fail_msg("%s: $ref %s does not resolve", where,
                             json_is_string(m) ? json_string_value(m) : "(not a string)");
            } else {
                check_refs(doc, m, k);
            }
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m) check_refs(doc, m, where);
    }
}

static void test_structure(void **state)
{
    json_t *doc = load(), *paths, *item, *schemes, *ids = json_object();
    const char *p, *v;
    size_t k;

    (void)state;
    v = json_string_value(json_object_get(doc, "openapi"));
    assert_non_null(v);
    assert_int_equal(strncmp(v, "3.1.", 4), 0);
    assert_true(json_is_string(json_object_get(json_object_get(doc, "info"), "title")));
    assert_true(json_is_string(json_object_get(json_object_get(doc, "info"), "version")));
    schemes = deref(doc, "#/components/securitySchemes");
    assert_string_equal(
        json_string_value(deref(doc, "#/components/securitySchemes/sessionCookie/in")), "cookie");
    assert_string_equal(
        json_string_value(deref(doc, "#/components/securitySchemes/sessionCookie/name")),
        API_COOKIE);
    assert_string_equal(json_string_value(deref(doc, "#/components/securitySchemes/csrfToken/in")),
                        "header");
    assert_string_equal(
        json_string_value(deref(doc, "#/components/securitySchemes/csrfToken/name")),
        API_CSRF_HEADER);
    assert_string_equal(
        json_string_value(deref(doc, "#/components/securitySchemes/clientBasic/scheme")), "basic");
    assert_non_null(json_object_get(doc, "x-sertel-facade")); /* the facade's marked place */
    check_refs(doc, doc, "openapi.json");
    paths = json_object_get(doc, "paths");
    json_object_foreach(paths, p, item)
    {
        assert_int_equal(p[0], '/');
        for (k = 0; k < sizeof(methods) / sizeof(methods[0]); k++) {
            json_t *op = json_object_get(item, methods[k]), *params, *prm, *sec, *req, *resp = NULL;
            const char *id, *t, *name;
            size_t i;
            if (op == NULL)
                continue;
            id = json_string_value(json_object_get(op, "operationId"));
            if (id == NULL || json_object_get(ids, id) != NULL)
                fail_msg("%s %s: operationId missing or used twice", methods[k], p);
            json_object_set_new(ids, id, json_true());
            resp = json_object_get(op, "responses");
            if (!json_is_object(resp) || json_object_size(resp) == 0)
                fail_msg("%s %s: no responses", methods[k], p);
            /* every template variable is a required path parameter */
            params = json_object_get(op, "parameters");
            for (t = strchr(p, '{'); t != NULL; t = strchr(t + 1, '{')) {
                size_t n = strcspn(t + 1, "}");
                int found = 0;
                json_array_foreach(params, i, prm)
                {
                    json_t *r = resolved(doc, prm);
                    name = json_string_value(json_object_get(r, "name"));
                    if (name != NULL && strlen(name) == n && strncmp(name, t + 1, n) == 0 &&
                        json_is_true(json_object_get(r, "required")) &&
                        strcmp(json_string_value(json_object_get(r, "in")), "path") == 0)
                        found = 1;
                }
                if (!found)
                    fail_msg("%s %s: path parameter %.*s is not declared (in: path, required)",
                             methods[k], p, (int)n, t + 1);
            }
            sec = json_object_get(op, "security");
            json_array_foreach(sec, i, req)
            {
                json_t *dummy;
                json_object_foreach(req, name, dummy) if (json_object_get(schemes, name) == NULL)
                    fail_msg("%s %s: security scheme %s is not defined", methods[k], p, name);
            }
        }
    }
    json_decref(ids);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_routes_described),
        cmocka_unit_test(test_paths_routed),
        cmocka_unit_test(test_error_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
