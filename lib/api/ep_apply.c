/*
 * ep_apply.c - a person's applications:
 *
 *   POST /api/v1/applications                 apply (a form: multipart/form-data, or
 *                                             urlencoded without files), field type =
 *     issuance    files letter (PDF) and ktp (JPEG or PNG), streamed by lib/http into spool
 *                 files and handed to the library as descriptors (ra_apply_issuance_fd);
 *                 applying again resubmits a returned application
 *     renewal     nothing more
 *     update      unit and/or position (the new ones), note
 *     revocation  reason (one of ra_revocation_choice's names: kunci_hilang, kunci_bocor,
 *                 dicurigai, data_berubah, tidak_digunakan, lainnya), invalidity_date
 *                 (RFC 3339; kunci_hilang and kunci_bocor only), note, confirm (true: needed
 *                 for a reason that suspends the certificate at once)
 *   GET  /api/v1/applications                 one's own, newest first; ?status=S (or all)
 *                                             lists every application one may see in that
 *                                             state (staff: the agency's, or all); ?before=ID
 *                                             and ?limit=N page
 *   GET  /api/v1/applications/{id}            one in full, with its history
 *   POST /api/v1/applications/{id}/withdraw   withdraw one's own pending or returned one
 *
 * Who may do what, which state follows which, and what an upload must be
 * are the library's (lib/ra); this file reads the form and writes JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "util/num.h"

#define NOTE_MAX_IN 2048
#define FIELD_MAX_IN 512
#define LIST_DEFAULT 50
#define LIST_MAX 200
#define ANSWERED 1 /* a step answered the request itself (an input error) */

/* An application as JSON (history added by the caller). */
static json_t *app_json(const api_call *c, const ra_application *a)
{
    char url[sizeof(c->a->base_path) + 96];
    json_t *o = json_pack("{s:I, s:s, s:s, s:I, s:{s:s, s:s, s:s, s:s, s:s}, s:o, s:o, s:o}", "id",
                          (json_int_t)a->id, "kind", a->kind, "state", a->state, "agency_id",
                          (json_int_t)a->agency_id, "applicant", "email", a->email, "name", a->name,
                          "nik", a->nik, "unit", a->unit, "position", a->position, "created_at",
                          api_time_json(a->created_at), "updated_at", api_time_json(a->updated_at),
                          "decided_at", api_time_json(a->decided_at));

    if (o == NULL)
        return NULL;
    if (a->cert_serial[0])
        json_object_set_new(o, "certificate_serial", json_string(a->cert_serial));
    if (a->note[0])
        json_object_set_new(o, "note", json_string(a->note));
    if (a->letter_sha256[0] || a->ktp_sha256[0]) {
        json_t *d = json_object();
        /* The documents themselves are served to the agency's verifier and administrators. */
        if (a->letter_sha256[0]) {
            snprintf(url, sizeof(url), "%s/api/v1/applications/%lld/documents/letter",
                     c->a->base_path, (long long)a->id);
            json_object_set_new(d, "letter",
                                json_pack("{s:s, s:s}", "sha256", a->letter_sha256, "url", url));
        }
        if (a->ktp_sha256[0]) {
            snprintf(url, sizeof(url), "%s/api/v1/applications/%lld/documents/ktp", c->a->base_path,
                     (long long)a->id);
            json_object_set_new(d, "ktp",
                                json_pack("{s:s, s:s}", "sha256", a->ktp_sha256, "url", url));
        }
        json_object_set_new(o, "documents", d);
    }
    if (strcmp(a->kind, "revocation") == 0) {
        json_t *r = json_pack("{s:s, s:o}", "reason", ca_reason_name(a->reason), "invalidity_date",
                              api_time_json(a->invalidity_date));
        if (r != NULL && a->reason_choice[0])
            json_object_set_new(r, "choice", json_string(a->reason_choice));
        json_object_set_new(o, "revocation", r);
    }
    if (strcmp(a->kind, "update") == 0)
        json_object_set_new(o, "update",
                            json_pack("{s:s?, s:s?}", "unit", a->new_unit[0] ? a->new_unit : NULL,
                                      "position", a->new_position[0] ? a->new_position : NULL));
    return o;
}

static int history_step(const ra_app_step *s, void *arg)
{
    json_t *h = arg;

    json_array_append_new(h, json_pack("{s:o, s:s, s:s, s:s, s:s?}", "at", api_time_json(s->at),
                                       "actor", s->actor, "event", s->event, "state", s->state,
                                       "note", s->note[0] ? s->note : NULL));
    return 0;
}

/* Answer status with application id in full, as c's actor may see it. */
static int answer_app(api_call *c, int status, int64_t id, sertel_err *err)
{
    ra_application a;
    json_t *o, *h;
    int rc = ra_application_get(c->r, &c->actor, id, &a, err);

    if (rc != SERTEL_OK)
        return rc;
    h = json_array();
    if (h == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    rc = ra_application_history(c->r, &c->actor, id, history_step, h, err);
    if (rc != SERTEL_OK) {
        json_decref(h);
        return rc;
    }
    o = app_json(c, &a);
    if (o == NULL) {
        json_decref(h);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    json_object_set_new(o, "history", h);
    return api_json(c, status, o);
}

/* --- apply --- */

static int apply_issuance(api_call *c, int64_t *id, sertel_err *err)
{
    const http_field *letter, *ktp;
    int rc;

    if (api_form_file(c, "letter", &letter) != SERTEL_OK ||
        api_form_file(c, "ktp", &ktp) != SERTEL_OK)
        return ANSWERED;
    rc = ra_apply_issuance_fd(c->r, &c->actor, c->actor.email, letter->fd, ktp->fd, id, err);
    if (rc == SERTEL_ERR_INVALID) {
        /* The library's words about the file (never a path): what is wrong and what to do. */
        (void)api_error(c, 400, "upload_refused", "%s", err->msg);
        return ANSWERED;
    }
    return rc;
}

static int apply_update(api_call *c, int64_t *id, sertel_err *err)
{
    ra_update u;

    memset(&u, 0, sizeof(u));
    if (api_form_str(c, "unit", false, FIELD_MAX_IN, &u.unit) != SERTEL_OK ||
        api_form_str(c, "position", false, FIELD_MAX_IN, &u.position) != SERTEL_OK ||
        api_form_str(c, "note", false, NOTE_MAX_IN, &u.note) != SERTEL_OK)
        return ANSWERED;
    if (u.unit == NULL && u.position == NULL) {
        (void)api_error(c, 400, "field_missing",
                        "give the new 'unit', the new 'position', or both");
        return ANSWERED;
    }
    return ra_apply_update(c->r, &c->actor, c->actor.email, &u, id, err);
}

static int apply_revocation(api_call *c, int64_t *id, sertel_err *err)
{
    ra_revocation_request q;
    const ra_revocation_choice *ch;
    const char *date = NULL;
    bool confirm = false;

    memset(&q, 0, sizeof(q));
    if (api_form_str(c, "reason", true, 32, &q.choice) != SERTEL_OK ||
        api_form_str(c, "invalidity_date", false, 64, &date) != SERTEL_OK ||
        api_form_str(c, "note", false, NOTE_MAX_IN, &q.note) != SERTEL_OK ||
        api_arg_bool(c, "confirm", &confirm) != SERTEL_OK)
        return ANSWERED;
    if ((ch = ra_revocation_choice_find(q.choice)) == NULL) {
        json_t *names = json_array();
        size_t i;
        for (i = 0; ra_revocation_choice_at(i) != NULL; i++)
            json_array_append_new(names, json_string(ra_revocation_choice_at(i)->name));
        char *list = json_dumps(names, JSON_COMPACT);
        json_decref(names);
        (void)api_error(c, 400, "field_invalid", "'reason' must be one of %s",
                        list != NULL ? list : "the listed choices");
        free(list);
        return ANSWERED;
    }
    if (date != NULL && api_time_parse(date, &q.invalidity_date) != SERTEL_OK) {
        (void)api_error(c, 400, "field_invalid",
                        "'invalidity_date' must be an RFC 3339 time, e.g. 2026-12-07T10:00:00Z");
        return ANSWERED;
    }
    /* The library refuses it too; here the owner is told what to confirm. */
    if (ch->suspends && !confirm) {
        (void)api_error(c, 400, "confirmation_required",
                        "'%s' suspends the certificate at once: send confirm=true", ch->name);
        return ANSWERED;
    }
    q.confirmed = confirm;
    return ra_apply_revocation_choice(c->r, &c->actor, c->actor.email, &q, id, err);
}

static int apply(api_call *c, sertel_err *err)
{
    const char *type;
    int64_t id = 0;
    int rc;

    API_TRY(api_form_str(c, "type", true, 16, &type));
    if (strcmp(type, "issuance") == 0)
        rc = apply_issuance(c, &id, err);
    else if (strcmp(type, "renewal") == 0)
        rc = ra_apply_renewal(c->r, &c->actor, c->actor.email, &id, err);
    else if (strcmp(type, "update") == 0)
        rc = apply_update(c, &id, err);
    else if (strcmp(type, "revocation") == 0)
        rc = apply_revocation(c, &id, err);
    else
        return api_error(c, 400, "field_invalid",
                         "'type' must be issuance, renewal, update or revocation");
    if (rc == ANSWERED)
        return SERTEL_OK;
    if (rc != SERTEL_OK)
        return rc;
    return answer_app(c, 201, id, err);
}

/* --- read --- */

typedef struct list_ctx {
    api_call *c;
    json_t *arr;
    int64_t last;
} list_ctx;

static int list_one(const ra_application *a, void *arg)
{
    list_ctx *l = arg;

    json_array_append_new(l->arr, app_json(l->c, a));
    l->last = a->id;
    return 0;
}

static int list(api_call *c, sertel_err *err)
{
    const char *status = http_query(c->req, "status"), *b = http_query(c->req, "before"),
               *lim = http_query(c->req, "limit");
    int64_t before = 0, limit = LIST_DEFAULT;
    list_ctx l = {c, NULL, 0};
    int more = 0, rc;

    if (b != NULL && num_parse_i64z(b, 1, INT64_MAX, &before) != SERTEL_OK)
        return api_error(c, 400, "field_invalid", "'before' must be an application id");
    if (lim != NULL && num_parse_i64z(lim, 1, LIST_MAX, &limit) != SERTEL_OK)
        return api_error(c, 400, "field_invalid", "'limit' must be 1 to %d", LIST_MAX);
    l.arr = json_array();
    if (l.arr == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    /* Without ?status: one's own. With it: all one may see in that state ("all": any). */
    rc = ra_application_list(c->r, &c->actor, status == NULL,
                             status == NULL || strcmp(status, "all") == 0 ? NULL : status, before,
                             (int)limit, list_one, &l, &more, err);
    if (rc != SERTEL_OK) {
        json_decref(l.arr);
        return rc;
    }
    return api_json(c, 200,
                    json_pack("{s:o, s:b, s:o}", "applications", l.arr, "more", more, "next_before",
                              more ? json_integer(l.last) : json_null()));
}

static int get_one(api_call *c, sertel_err *err)
{
    int64_t id;

    API_TRY(api_path_id(c, 0, &id));
    return answer_app(c, 200, id, err);
}

static int withdraw(api_call *c, sertel_err *err)
{
    int64_t id;
    int rc;

    API_TRY(api_path_id(c, 0, &id));
    rc = ra_withdraw(c->r, &c->actor, c->actor.email, id, err);
    if (rc != SERTEL_OK)
        return rc;
    return answer_app(c, 200, id, err);
}

const api_endpoint api_ep_apply[] = {
    {"POST", "/api/v1/applications", API_AUTH_SESSION, API_IN_FORM, 0, 0, "application_submit",
     apply, RA_ACT_APPLY},
    {"GET", "/api/v1/applications", API_AUTH_SESSION, API_IN_NONE, 0, 0, "application_list", list,
     RA_ACT_APPLICATION_VIEW},
    {"GET", "/api/v1/applications/{}", API_AUTH_SESSION, API_IN_NONE, 0, 0, "application_get",
     get_one, RA_ACT_APPLICATION_VIEW},
    {"POST", "/api/v1/applications/{}/withdraw", API_AUTH_SESSION, API_IN_NONE, 0, 0,
     "application_withdraw", withdraw, RA_ACT_APPLY},
};
const size_t api_ep_apply_n = sizeof(api_ep_apply) / sizeof(api_ep_apply[0]);
