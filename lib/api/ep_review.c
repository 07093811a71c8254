/*
 * ep_review.c - the verifier's work (DOMAIN.md: the agency's verifier
 * approves or rejects every application; PP 71/2019 art. 52):
 *
 *   GET  /api/v1/reviews                          the pending applications the caller may see
 *                                                 (name, NIK masked but for its last four digits,
 *                                                 unit, position, type, submitted, documents)
 *   POST /api/v1/applications/{}/decision         {decision: approve|reject|return, reason}
 *   GET  /api/v1/applications/{}/documents/{}     the recommendation letter ("letter") or the
 *                                                 e-KTP scan ("ktp"), as an attachment
 *
 * Who sees and decides what is the policy table's (ra_review_list,
 * ra_review_decide, ra_application_file); reject and return need a reason
 * (ra_review_decide). A document goes out only as a download that no
 * browser renders in the API's origin: Content-Disposition attachment,
 * X-Content-Type-Options nosniff, a sandboxing CSP (the dispatcher's), and
 * the type the upload check gave it; each read is audited by the library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "ra/nik.h"

#define QUEUE_MAX 1000 /* applications in one answer */

/* One application as the queue and a decision show it. */
static json_t *app_json(const api_call *c, const ra_application *a, int with_decide)
{
    char masked[NIK_LEN + 1];
    json_t *o, *docs, *who;

    nik_mask(a->nik, masked);
    who = json_pack("{s:I, s:s, s:s, s:s*, s:s*, s:s*, s:I}", "account_id",
                    (json_int_t)a->account_id, "name", a->name, "email", a->email, "nik_masked",
                    masked[0] ? masked : NULL, "unit", a->unit[0] ? a->unit : NULL, "position",
                    a->position[0] ? a->position : NULL, "agency_id", (json_int_t)a->agency_id);
    docs = json_object();
    if (docs != NULL && a->letter_sha256[0])
        json_object_set_new(
            docs, "letter",
            api_link_json(c, "/api/v1/applications/%lld/documents/letter", (long long)a->id));
    if (docs != NULL && a->ktp_sha256[0])
        json_object_set_new(
            docs, "ktp",
            api_link_json(c, "/api/v1/applications/%lld/documents/ktp", (long long)a->id));
    o = json_pack("{s:I, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)a->id, "type", a->kind,
                  "state", a->state, "submitted_at", api_time_json(a->created_at), "applicant",
                  who ? who : json_null(), "documents", docs ? docs : json_null());
    if (o == NULL)
        return NULL;
    if (a->cert_serial[0])
        json_object_set_new(o, "cert_serial", json_string(a->cert_serial));
    if (a->reason >= 0)
        json_object_set_new(o, "reason", json_string(ca_reason_name(a->reason)));
    if (a->invalidity_date != 0)
        json_object_set_new(o, "invalidity_date", api_time_json(a->invalidity_date));
    if (a->note[0])
        json_object_set_new(o, "note", json_string(a->note));
    if (with_decide) {
        /* Whether the caller may decide it, as the policy says (never its own). */
        ra_target t = {a->account_id, a->agency_id};
        json_object_set_new(
            o, "may_decide",
            json_boolean(ra_policy_check(&c->actor, RA_ACT_REVIEW_DECIDE, &t, NULL) == SERTEL_OK));
    }
    return o;
}

struct queue {
    const api_call *c;
    json_t *arr;
    int truncated, failed;
};

static int queue_add(const ra_application *a, void *arg)
{
    struct queue *q = arg;
    json_t *o;

    if (json_array_size(q->arr) == QUEUE_MAX) {
        q->truncated = 1;
        return 1;
    }
    o = app_json(q->c, a, 1);
    if (o == NULL || json_array_append_new(q->arr, o) != 0) {
        q->failed = 1;
        return 1;
    }
    return 0;
}

static int reviews(api_call *c, sertel_err *err)
{
    struct queue q = {c, json_array(), 0, 0};
    int rc;

    if (q.arr == NULL)
        return SERTEL_ERR_NOMEM;
    rc = ra_review_list(c->r, &c->actor, queue_add, &q, err);
    if (rc == SERTEL_OK && q.failed)
        rc = SERTEL_ERR_NOMEM;
    if (rc != SERTEL_OK) {
        json_decref(q.arr);
        return rc;
    }
    return api_json(c, 200,
                    json_pack("{s:o, s:I, s:b}", "applications", q.arr, "count",
                              (json_int_t)json_array_size(q.arr), "truncated", q.truncated));
}

static int decide(api_call *c, sertel_err *err)
{
    const char *d, *reason;
    ra_decision dec;
    ra_application a;
    int64_t id;
    int rc;

    API_TRY(api_path_id(c, 0, &id));
    API_TRY(api_in_str(c, "decision", true, 16, &d));
    API_TRY(api_in_str(c, "reason", false, 2000, &reason));
    if (strcmp(d, "approve") == 0)
        dec = RA_APPROVE;
    else if (strcmp(d, "reject") == 0)
        dec = RA_REJECT;
    else if (strcmp(d, "return") == 0)
        dec = RA_RETURN;
    else
        return api_error(c, 400, "field_invalid", "'decision' must be approve, reject or return");
    rc = ra_review_decide(c->r, &c->actor, id, dec, reason, err);
    if (rc != SERTEL_OK)
        return rc;
    /* The application as it is now (the decider may read it: the policy lets deciders view). */
    if (ra_application_get(c->r, &c->actor, id, &a, err) != SERTEL_OK) {
        sertel_err_clear(err);
        return api_json(c, 200, json_pack("{s:{s:I}}", "application", "id", (json_int_t)id));
    }
    return api_json(c, 200, json_pack("{s:o}", "application", app_json(c, &a, 0)));
}

static int document(api_call *c, sertel_err *err)
{
    ra_app_file f;
    char disp[128];
    int64_t id;
    int rc;

    API_TRY(api_path_id(c, 0, &id));
    if (c->req->nparams < 2 ||
        (strcmp(c->req->params[1], "letter") != 0 && strcmp(c->req->params[1], "ktp") != 0))
        return api_error(c, 404, "not_found", "an application's documents are letter and ktp");
    rc = ra_application_file(c->r, &c->actor, id, c->req->params[1], &f, err);
    if (rc != SERTEL_OK)
        return rc;
    snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", f.filename);
    if (http_response_header(c->resp, "Content-Disposition", disp) != SERTEL_OK) {
        ra_app_file_clear(&f);
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "cannot set Content-Disposition");
    }
    c->resp->status = 200;
    snprintf(c->resp->content_type, sizeof(c->resp->content_type), "%s", f.content_type);
    c->resp->body = f.data; /* the server frees it after sending */
    c->resp->len = f.len;
    c->resp->body_free = free;
    return SERTEL_OK;
}

const api_endpoint api_ep_review[] = {
    {"GET", "/api/v1/reviews", API_AUTH_SESSION, API_IN_NONE, 0, 0, "reviews", reviews,
     RA_ACT_REVIEW_LIST},
    {"POST", "/api/v1/applications/{}/decision", API_AUTH_SESSION, API_IN_JSON, 0, 0,
     "application_decide", decide, RA_ACT_REVIEW_DECIDE},
    {"GET", "/api/v1/applications/{}/documents/{}", API_AUTH_SESSION, API_IN_NONE, 0, 0,
     "application_document", document, RA_ACT_APPLICATION_DOCS},
};
const size_t api_ep_review_n = sizeof(api_ep_review) / sizeof(api_ep_review[0]);
