/*
 * ep_docs.c - the register of signed documents (ra_doc_query):
 *
 *   GET /api/v1/documents?owner=EMAIL&since=TIME&limit=N
 *
 * What the caller may see, oldest first: a person its own documents, a
 * verifier its agency's, an agency system (sign scope) its agency's,
 * administrators and auditors all (the policy table's reach for
 * document.view). owner= narrows to one signer, since= (RFC 3339, or Unix
 * seconds) to documents signed at or after that time; at most N (default
 * 100, at most 1000) per answer; when there are more, next_after names the
 * last one shown and after=ID asks for those that follow it.
 * Each document links to its public form, /api/v1/documents/{id}.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "util/num.h"

#define DOCS_DEFAULT 100
#define DOCS_MAX 1000

struct docs {
    const api_call *c;
    json_t *arr;
    int64_t since;
    const char *after; /* skip up to and including this id */
    size_t limit;
    int truncated, failed;
    char last[33];
};

static int doc_one(void *arg, const ra_doc *d)
{
    struct docs *x = arg;
    json_t *o;

    if (x->after != NULL) {
        if (strcmp(d->id, x->after) == 0)
            x->after = NULL;
        return 0;
    }
    if (d->signed_at < x->since)
        return 0;
    if (json_array_size(x->arr) == x->limit) {
        x->truncated = 1;
        return 1;
    }
    o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:o}", "id", d->id, "owner", d->email,
                  "cert_serial", d->cert_serial, "signed_at", api_time_json(d->signed_at), "sha256",
                  d->sha256, "level", d->level, "link",
                  api_link_json(x->c, "/api/v1/documents/%s", d->id));
    if (o == NULL || json_array_append_new(x->arr, o) != 0) {
        x->failed = 1;
        return 1;
    }
    snprintf(x->last, sizeof(x->last), "%s", d->id);
    return 0;
}

static int documents(api_call *c, sertel_err *err)
{
    struct docs x = {c, json_array(), 0, NULL, 0, 0, 0, ""};
    const char *owner = http_query(c->req, "owner"), *since = http_query(c->req, "since");
    int64_t limit;
    size_t count = 0;
    int rc;

    x.after = http_query(c->req, "after");

    if (x.arr == NULL)
        return SERTEL_ERR_NOMEM;
    if (api_query_int(c, "limit", DOCS_DEFAULT, 1, DOCS_MAX, &limit) != SERTEL_OK) {
        json_decref(x.arr);
        return SERTEL_OK; /* answered */
    }
    x.limit = (size_t)limit;
    if (owner != NULL && (owner[0] == '\0' || strlen(owner) > 254)) {
        json_decref(x.arr);
        return api_error(c, 400, "field_invalid", "'owner' is the signer's e-mail address");
    }
    if (since != NULL && num_parse_i64z(since, 0, INT64_MAX, &x.since) != SERTEL_OK &&
        num_parse_time(since, &x.since) != SERTEL_OK) {
        json_decref(x.arr);
        return api_error(c, 400, "field_invalid",
                         "'since' is a time (2026-12-07T10:00:00Z) or Unix seconds");
    }
    rc = ra_doc_query(c->r, &c->actor, NULL, NULL, owner, doc_one, &x, &count, err);
    if (rc > 0 && x.failed)
        rc = SERTEL_ERR_NOMEM;
    else if (rc > 0)
        rc = SERTEL_OK;
    if (rc != SERTEL_OK) {
        json_decref(x.arr);
        return rc;
    }
    return api_json(c, 200,
                    json_pack("{s:o, s:I, s:b, s:o}", "documents", x.arr, "count",
                              (json_int_t)json_array_size(x.arr), "truncated", x.truncated,
                              "next_after", x.truncated ? json_string(x.last) : json_null()));
}

const api_endpoint api_ep_docs[] = {
    {"GET", "/api/v1/documents", API_AUTH_ANY, API_IN_NONE, 0, 0, "documents", documents,
     RA_ACT_DOC_VIEW},
};
const size_t api_ep_docs_n = sizeof(api_ep_docs) / sizeof(api_ep_docs[0]);
