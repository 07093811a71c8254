/*
 * list.c - the registration authority's listings: agencies, accounts (staff
 * and registered persons with their status), one application's history
 * (the audit entries that name it) and documents, and the audit log for
 * those who may read it. Rows are filtered by the policy's reach
 * (ra_policy_reach, policy.c), never by a rule of their own.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ra/ra_int.h"

/* May by see a row of (account, agency) with this reach? */
static int in_reach(ra_reach reach, const ra_actor *by, int64_t account, int64_t agency)
{
    switch (reach) {
    case RA_REACH_ALL:
        return 1;
    case RA_REACH_AGENCY:
        return agency != 0 && agency == by->agency_id;
    case RA_REACH_SELF:
        return account != 0 && account == by->account_id;
    case RA_REACH_NONE:
        break;
    }
    return 0;
}

/* --- agencies --- */

static int agency_domains(ra *r, int64_t id, char *out, size_t cap, sertel_err *err)
{
    store_stmt *q = NULL;
    size_t len = 0;
    int rc;

    out[0] = '\0';
    rc = store_queryf(r->st, &q, err,
                      "SELECT domain FROM agency_domains WHERE agency_id = ? ORDER BY domain", "i",
                      id);
    while (rc == SERTEL_OK && (rc = store_step(q, err)) == STORE_ROW) {
        const char *d = store_col_text(q, 0);
        int n = snprintf(out + len, cap - len, "%s%s", len ? "," : "", d ? d : "");
        rc = SERTEL_OK;
        if (n < 0 || (size_t)n >= cap - len) {
            rc = sertel_err_set(err, SERTEL_ERR_INTERNAL, "agency %lld has too many domains",
                                (long long)id);
            break;
        }
        len += (size_t)n;
    }
    if (rc == STORE_DONE)
        rc = SERTEL_OK;
    store_finalize(q);
    return rc;
}

int ra_agency_list(ra *r, const ra_actor *by, ra_agency_fn fn, void *arg, sertel_err *err)
{
    ra_reach reach = ra_policy_reach(by, RA_ACT_APPLICATION_VIEW);
    store_stmt *q = NULL;
    int rc;

    if (reach == RA_REACH_NONE)
        return ra_policy_check(by, RA_ACT_APPLICATION_VIEW, NULL, err);
    rc = store_queryf(r->st, &q, err,
                      "SELECT g.id, g.name, g.created_at, "
                      "(SELECT count(*) FROM subscribers s JOIN accounts a ON a.id = s.account_id "
                      " WHERE a.agency_id = g.id), "
                      "(SELECT count(*) FROM accounts a WHERE a.agency_id = g.id AND a.role = "
                      "'verifier') FROM agencies g ORDER BY g.id",
                      "");
    while (rc == SERTEL_OK && (rc = store_step(q, err)) == STORE_ROW) {
        ra_agency g;
        memset(&g, 0, sizeof(g));
        g.id = store_col_int64(q, 0);
        rc = SERTEL_OK;
        /* An account sees its own agency; a verifier its own; staff with wider reach all. */
        if (reach != RA_REACH_ALL && g.id != by->agency_id)
            continue;
        snprintf(g.name, sizeof(g.name), "%s", store_col_text(q, 1));
        g.created_at = store_col_int64(q, 2);
        g.people = store_col_int64(q, 3);
        g.verifiers = store_col_int64(q, 4);
        if ((rc = agency_domains(r, g.id, g.domains, sizeof(g.domains), err)) != SERTEL_OK)
            break;
        rc = fn(&g, arg);
    }
    if (rc == STORE_DONE)
        rc = SERTEL_OK;
    store_finalize(q);
    return rc;
}

/* --- accounts --- */

static const char account_sql[] =
    "SELECT a.id, a.email, a.name, a.role, a.agency_id, a.created_at, "
    "a.password_hash IS NOT NULL, a.totp_box IS NOT NULL, "
    "s.account_id IS NOT NULL, s.nik, s.unit, s.position, s.email_confirmed_at IS NOT NULL, "
    "s.locked_until, s.hard_locked "
    "FROM accounts a LEFT JOIN subscribers s ON s.account_id = a.id ";

/* The row of q into out (the person's status and certificate looked up). */
static int account_row(ra *r, store_stmt *q, ra_account *out, sertel_err *err)
{
    ra_status st;
    char status[16];
    int64_t not_after = 0;
    int rc = SERTEL_OK;

    memset(out, 0, sizeof(*out));
    out->id = store_col_int64(q, 0);
    snprintf(out->email, sizeof(out->email), "%s", store_col_text(q, 1));
    snprintf(out->name, sizeof(out->name), "%s", store_col_text(q, 2));
    snprintf(out->role, sizeof(out->role), "%s", store_col_text(q, 3));
    out->agency_id = store_col_is_null(q, 4) ? 0 : store_col_int64(q, 4);
    out->created_at = store_col_int64(q, 5);
    out->has_password = store_col_int64(q, 6) != 0;
    out->has_totp = store_col_int64(q, 7) != 0;
    out->person = store_col_int64(q, 8) != 0;
    if (!out->person)
        return SERTEL_OK;
    snprintf(out->nik, sizeof(out->nik), "%s", store_col_text(q, 9));
    snprintf(out->unit, sizeof(out->unit), "%s", store_col_text(q, 10));
    snprintf(out->position, sizeof(out->position), "%s", store_col_text(q, 11));
    out->email_confirmed = store_col_int64(q, 12) != 0;
    out->signing_locked =
        store_col_int64(q, 14) != 0 || store_col_int64(q, 13) > (int64_t)time(NULL);
    if ((rc = ra_status_of_account(r, out->id, &st, err)) == SERTEL_OK &&
        (rc = ra_current_cert(r, out->id, out->cert_serial, status, &not_after, err)) == SERTEL_OK)
        snprintf(out->status, sizeof(out->status), "%s", ra_status_name(st));
    return rc;
}

int ra_account_list(ra *r, const ra_actor *by, ra_account_fn fn, void *arg, sertel_err *err)
{
    ra_reach reach = ra_policy_reach(by, RA_ACT_APPLICATION_VIEW);
    store_stmt *q = NULL;
    char sql[sizeof(account_sql) + 32];
    int rc;

    if (reach == RA_REACH_NONE)
        return ra_policy_check(by, RA_ACT_APPLICATION_VIEW, NULL, err);
    snprintf(sql, sizeof(sql), "%sORDER BY a.id", account_sql);
    rc = store_queryf(r->st, &q, err, sql, "");
    while (rc == SERTEL_OK && (rc = store_step(q, err)) == STORE_ROW) {
        ra_account a;
        int64_t agency = store_col_is_null(q, 4) ? 0 : store_col_int64(q, 4);
        rc = SERTEL_OK;
        if (!in_reach(reach, by, store_col_int64(q, 0), agency))
            continue;
        if ((rc = account_row(r, q, &a, err)) != SERTEL_OK)
            break;
        rc = fn(&a, arg);
    }
    if (rc == STORE_DONE)
        rc = SERTEL_OK;
    store_finalize(q);
    return rc;
}

int ra_account_get(ra *r, const ra_actor *by, int64_t id, ra_account *out, sertel_err *err)
{
    store_stmt *q = NULL;
    char sql[sizeof(account_sql) + 32];
    ra_target t;
    int rc;

    memset(out, 0, sizeof(*out));
    snprintf(sql, sizeof(sql), "%sWHERE a.id = ?", account_sql);
    rc = store_queryf(r->st, &q, err, sql, "i", id);
    if (rc == SERTEL_OK && (rc = store_step(q, err)) == STORE_DONE)
        rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                            "there is no account %lld: list them with 'sertel account list'",
                            (long long)id);
    if (rc == STORE_ROW) {
        t.account_id = id;
        t.agency_id = store_col_is_null(q, 4) ? 0 : store_col_int64(q, 4);
        rc = ra_policy_check(by, RA_ACT_APPLICATION_VIEW, &t, err);
        if (rc == SERTEL_OK)
            rc = account_row(r, q, out, err);
        if (rc != SERTEL_OK)
            memset(out, 0, sizeof(*out));
    }
    store_finalize(q);
    return rc;
}

/* --- one application: history and documents --- */

typedef struct history_ctx {
    int64_t app;
    ra_history_fn fn;
    void *arg;
    sertel_err *err;
} history_ctx;

static int history_entry(void *arg, const audit_entry *e)
{
    history_ctx *h = arg;
    json_t *d = json_loads(e->details, JSON_REJECT_DUPLICATES, NULL);
    json_t *v = json_is_object(d) ? json_object_get(d, "application") : NULL;
    int mine = json_is_integer(v) && json_integer_value(v) == h->app;
    ra_history item;

    if (d == NULL)
        return sertel_err_set(h->err, SERTEL_ERR_NOMEM,
                              "audit entry %lld's details could not be read (out of memory, or "
                              "not JSON: run 'sertel audit verify')",
                              (long long)e->seq);
    json_decref(d);
    if (!mine) /* the pre-filter matched a longer number ("application":12 in 123) */
        return 0;
    item.seq = e->seq;
    item.ts = e->ts;
    item.actor = e->actor;
    item.event = e->event;
    item.details = e->details;
    return h->fn(&item, h->arg);
}

int ra_application_history(ra *r, const ra_actor *by, int64_t id, ra_history_fn fn, void *arg,
                           sertel_err *err)
{
    ra_application a;
    audit_filter f;
    history_ctx h = {id, fn, arg, err};
    char has[48];
    int rc;

    if ((rc = ra_application_get(r, by, id, &a, err)) != SERTEL_OK)
        return rc;
    memset(&f, 0, sizeof(f));
    /* Audit details are compact JSON with sorted keys (audit_append_json). */
    snprintf(has, sizeof(has), "\"application\":%lld", (long long)id);
    f.details_has = has;
    f.since = a.created_at;
    return audit_list(r->st, &f, history_entry, &h, NULL, err);
}

int ra_application_documents(ra *r, const ra_actor *by, int64_t id, ra_document out[2], size_t *n,
                             sertel_err *err)
{
    ra_application a;
    size_t i;
    int rc;

    *n = 0;
    memset(out, 0, 2 * sizeof(*out));
    if ((rc = ra_application_get(r, by, id, &a, err)) != SERTEL_OK)
        return rc;
    for (i = 0; i < 2; i++) {
        const char *sha = i == 0 ? a.letter_sha256 : a.ktp_sha256;
        ra_document *d = &out[*n];
        store_stmt *q = NULL;
        if (sha[0] == '\0')
            continue;
        snprintf(d->kind, sizeof(d->kind), "%s", i == 0 ? "letter" : "ktp");
        snprintf(d->sha256, sizeof(d->sha256), "%s", sha);
        /* Stored content-addressed: <uploads>/<first two digits>/<sha256> (upload_store). */
        snprintf(d->path, sizeof(d->path), "%s/%.2s/%s", r->uploads, sha, sha);
        d->size = -1;
        rc = store_queryf(r->st, &q, err, "SELECT size FROM uploads WHERE sha256 = ?", "t", sha);
        if (rc == SERTEL_OK && (rc = store_step(q, err)) == STORE_ROW)
            d->size = store_col_int64(q, 0);
        store_finalize(q);
        if (rc < 0)
            return rc;
        rc = SERTEL_OK;
        (*n)++;
    }
    return SERTEL_OK;
}

/* --- the audit log --- */

int ra_audit_list(ra *r, const ra_actor *by, const audit_filter *f, audit_entry_fn fn, void *arg,
                  int64_t *count, sertel_err *err)
{
    int rc;

    if (count != NULL)
        *count = 0;
    /* The log is read whole or not at all: only a reach over everything reads it. */
    if (ra_policy_reach(by, RA_ACT_AUDIT_VIEW) != RA_REACH_ALL)
        return (rc = ra_policy_check(by, RA_ACT_AUDIT_VIEW, NULL, err)) != SERTEL_OK
                   ? rc
                   : sertel_err_set(err, SERTEL_ERR_DENIED, "the audit log is read whole");
    return audit_list(r->st, f, fn, arg, count, err);
}
