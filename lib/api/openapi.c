/*
 * openapi.c - GET /api/v1/openapi.json: the OpenAPI 3.1 description of the
 * API (https://spec.openapis.org/oas/v3.1.0). Its source of truth is
 * docs/api/openapi.json, compiled into the binary at build time
 * (cmake/embed.cmake); nothing is read from disk at run time. The answer
 * names this server's base path in "servers", so that the paths, which
 * start with /api, resolve under it.
 */
#include <string.h>

#include "api/api_int.h"

static int openapi(api_call *c, sertel_err *err)
{
    json_error_t je;
    json_t *doc = json_loadb((const char *)api_openapi_json, api_openapi_json_len, 0, &je);

    if (doc == NULL || !json_is_object(doc)) {
        json_decref(doc);
        return sertel_err_set(err, SERTEL_ERR_INTERNAL,
                              "the embedded OpenAPI description is not a JSON object (line %d: "
                              "%s): docs/api/openapi.json is broken",
                              je.line, je.text);
    }
    json_object_set_new(doc, "servers",
                        json_pack("[{s:s, s:s}]", "url", c->a->base_path[0] ? c->a->base_path : "/",
                                  "description", "this server (the base URL's path)"));
    return api_json(c, 200, doc);
}

const api_endpoint api_ep_openapi[] = {
    {"GET", "/api/v1/openapi.json", API_AUTH_NONE, API_IN_NONE, 0, 0, "openapi", openapi,
     RA_ACT_COUNT},
};
const size_t api_ep_openapi_n = sizeof(api_ep_openapi) / sizeof(api_ep_openapi[0]);
