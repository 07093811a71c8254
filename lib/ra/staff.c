/*
 * staff.c - what staff read, through the API (lib/api/ep_*.c) and the CLI
 * (src/cmd_*.c) alike: the agencies and accounts they may see (filtered by
 * the policy table's reach, ra_policy_reach; a person's status and newest
 * certificate in the account's row), an application's recommendation letter
 * and e-KTP scan for those who decide it (listed, or read with each read
 * audited before the bytes leave), and the audit log for administrators and
 * auditors, listed with filters (audit_read) or exported with its signed
 * head so that it can be checked away from the CA (audit.h gives the hash
 * chain and the signed bytes).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ra/ra_int.h"
#include "ra/upload.h"
#include "util/num.h"

#define AGENCY_DOMAINS_MAX 256 /* domains listed per agency */

/* --- agencies --- */

static int agency_domains(ra *r, int64_t id, char ***out, size_t *n, sertel_err *err)
{
    store_stmt *s = NULL;
    char **v = NULL;
    int rc;

    *out = NULL;
    *n = 0;
    v = calloc(AGENCY_DOMAINS_MAX, sizeof(*v));
    if (v == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    rc = store_queryf(r->st, &s, err,
                      "SELECT domain FROM agency_domains WHERE agency_id = ? ORDER BY domain", "i",
                      id);
    while (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        rc = SERTEL_OK;
        if (*n == AGENCY_DOMAINS_MAX)
            continue;
        if ((v[*n] = strdup(store_col_text(s, 0))) == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
            break;
        }
        (*n)++;
    }
    if (rc == STORE_DONE)
        rc = SERTEL_OK;
    store_finalize(s);
    *out = v;
    return rc;
}

static void free_domains(char **v, size_t n)
{
    size_t i;

    for (i = 0; v != NULL && i < n; i++)
        free(v[i]);
    free(v);
}

int ra_agency_list(ra *r, const ra_actor *by, ra_agency_fn fn, void *arg, sertel_err *err)
{
    ra_reach reach = ra_policy_reach(by, RA_ACT_AGENCY_VIEW);
    store_stmt *s = NULL;
    int64_t ids[64];
    int64_t after = 0;
    int rc = SERTEL_OK, n, i;

    if (reach != RA_REACH_ALL && reach != RA_REACH_AGENCY)
        return ra_policy_check(by, RA_ACT_AGENCY_VIEW, NULL, err);
    /* In pages of ids, so that the domain queries do not run inside the outer one. */
    do {
        n = 0;
        rc = store_queryf(r->st, &s, err,
                          "SELECT id FROM agencies WHERE id > ? AND (? = 1 OR id = ?) ORDER BY id "
                          "LIMIT 64",
                          "iii", after, (int64_t)(reach == RA_REACH_ALL), by->agency_id);
        while (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
            ids[n++] = store_col_int64(s, 0);
            rc = SERTEL_OK;
        }
        if (rc == STORE_DONE)
            rc = SERTEL_OK;
        store_finalize(s);
        s = NULL;
        for (i = 0; i < n && rc == SERTEL_OK; i++) {
            ra_agency a;
            char **doms = NULL;
            size_t nd = 0;

            memset(&a, 0, sizeof(a));
            a.id = ids[i];
            rc = store_queryf(r->st, &s, err,
                              "SELECT g.name, g.created_at, (SELECT count(*) FROM subscribers s "
                              "JOIN accounts a ON a.id = s.account_id WHERE a.agency_id = g.id), "
                              "(SELECT count(*) FROM accounts a WHERE a.agency_id = g.id AND "
                              "a.role = 'verifier') FROM agencies g WHERE g.id = ?",
                              "i", ids[i]);
            if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
                snprintf(a.name, sizeof(a.name), "%s", store_col_text(s, 0));
                a.created_at = store_col_int64(s, 1);
                a.people = store_col_int64(s, 2);
                a.verifiers = store_col_int64(s, 3);
                rc = SERTEL_OK;
            } else if (rc == STORE_DONE) {
                rc = SERTEL_OK; /* removed meanwhile: not listed */
                store_finalize(s);
                s = NULL;
                continue;
            }
            store_finalize(s);
            s = NULL;
            if (rc == SERTEL_OK)
                rc = agency_domains(r, ids[i], &doms, &nd, err);
            if (rc == SERTEL_OK) {
                a.domains = (const char *const *)doms;
                a.ndomains = nd;
                rc = fn(&a, arg);
            }
            free_domains(doms, nd);
            after = ids[i];
        }
    } while (rc == SERTEL_OK && n == 64);
    return rc;
}

/* --- accounts --- */

#define ACCOUNT_COLS                                                                               \
    "SELECT a.id, a.email, a.name, a.role, a.agency_id, a.created_at, a.password_hash IS NOT "     \
    "NULL, a.totp_box IS NOT NULL, s.account_id IS NOT NULL, s.nik, s.unit, s.position, "          \
    "s.email_confirmed_at IS NOT NULL, coalesce(s.hard_locked, 0), coalesce(s.locked_until, 0) "   \
    "FROM accounts a LEFT JOIN subscribers s ON s.account_id = a.id "

/* The row of s into a. */
static void account_row(store_stmt *s, ra_account *a)
{
    memset(a, 0, sizeof(*a));
    a->id = store_col_int64(s, 0);
    snprintf(a->email, sizeof(a->email), "%s", store_col_text(s, 1));
    snprintf(a->name, sizeof(a->name), "%s", store_col_text(s, 2));
    snprintf(a->role, sizeof(a->role), "%s", store_col_text(s, 3));
    a->agency_id = store_col_is_null(s, 4) ? 0 : store_col_int64(s, 4);
    a->created_at = store_col_int64(s, 5);
    a->password_set = store_col_int64(s, 6) != 0;
    a->factor_enrolled = store_col_int64(s, 7) != 0;
    a->person = store_col_int64(s, 8) != 0;
    snprintf(a->nik, sizeof(a->nik), "%s", store_col_text(s, 9));
    snprintf(a->unit, sizeof(a->unit), "%s", store_col_text(s, 10));
    snprintf(a->position, sizeof(a->position), "%s", store_col_text(s, 11));
    a->email_confirmed = store_col_int64(s, 12) != 0;
    a->signing_locked =
        a->person && (store_col_int64(s, 13) != 0 || store_col_int64(s, 14) > (int64_t)time(NULL));
}

/* A person's status and newest certificate into a (nothing for staff). */
static int account_person(ra *r, ra_account *a, sertel_err *err)
{
    ra_status st;
    char cstatus[16];
    int64_t not_after = 0;
    int rc;

    if (!a->person)
        return SERTEL_OK;
    if ((rc = ra_status_of_account(r, a->id, &st, err)) == SERTEL_OK &&
        (rc = ra_current_cert(r, a->id, a->cert_serial, cstatus, &not_after, err)) == SERTEL_OK)
        snprintf(a->status, sizeof(a->status), "%s", ra_status_name(st));
    return rc;
}

int ra_account_list(ra *r, const ra_actor *by, const ra_account_filter *f, ra_account_fn fn,
                    void *arg, size_t *count, sertel_err *err)
{
    ra_reach reach = ra_policy_reach(by, RA_ACT_ACCOUNT_VIEW);
    ra_account_filter none = {NULL, 0, 0, 0};
    store_stmt *s = NULL;
    int64_t scope_agency = -1, scope_self = -1, lim;
    size_t n = 0;
    int rc;

    if (count != NULL)
        *count = 0;
    if (f == NULL)
        f = &none;
    if (reach == RA_REACH_NONE)
        return ra_policy_check(by, RA_ACT_ACCOUNT_VIEW, NULL, err);
    if (reach == RA_REACH_AGENCY)
        scope_agency = by->agency_id;
    else if (reach == RA_REACH_SELF)
        scope_self = by->account_id;
    lim = f->limit == 0 || f->limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)f->limit;
    rc = store_queryf(r->st, &s, err,
                      ACCOUNT_COLS "WHERE a.id > ? AND (? < 0 OR a.agency_id = ?) AND (? < 0 OR "
                                   "a.id = ?) AND (? = '' OR a.role = ?) AND (? = 0 OR "
                                   "a.agency_id = ?) ORDER BY a.id LIMIT ?",
                      "iiiiittiii", f->after, scope_agency, scope_agency, scope_self, scope_self,
                      f->role ? f->role : "", f->role ? f->role : "", f->agency_id, f->agency_id,
                      lim);
    while (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        ra_account a;
        account_row(s, &a);
        if ((rc = account_person(r, &a, err)) != SERTEL_OK)
            break;
        n++;
        rc = fn(&a, arg);
    }
    if (rc == STORE_DONE)
        rc = SERTEL_OK;
    store_finalize(s);
    if (count != NULL)
        *count = n;
    return rc;
}

int ra_account_get(ra *r, const ra_actor *by, int64_t id, ra_account *out, sertel_err *err)
{
    store_stmt *s = NULL;
    ra_target t = {0, 0};
    sertel_err why = {0};
    int rc, found = 0;

    memset(out, 0, sizeof(*out));
    rc = store_queryf(r->st, &s, err, ACCOUNT_COLS "WHERE a.id = ?", "i", id);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        account_row(s, out);
        found = 1;
        rc = SERTEL_OK;
    } else if (rc == STORE_DONE) {
        rc = SERTEL_OK;
    }
    store_finalize(s);
    if (rc != SERTEL_OK)
        return rc;
    t.account_id = out->id;
    t.agency_id = out->agency_id;
    if (!found || ra_policy_check(by, RA_ACT_ACCOUNT_VIEW, &t, &why) != SERTEL_OK) {
        memset(out, 0, sizeof(*out));
        return sertel_err_set(err, SERTEL_ERR_NOTFOUND, "there is no account #%lld you may see",
                              (long long)id);
    }
    if ((rc = account_person(r, out, err)) != SERTEL_OK)
        memset(out, 0, sizeof(*out));
    return rc;
}

int ra_account_for(ra *r, const ra_actor *by, ra_action act, const char *email, ra_person *out,
                   sertel_err *err)
{
    store_stmt *s = NULL;
    ra_target t;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = store_queryf(r->st, &s, err,
                      "SELECT id, agency_id, email, name FROM accounts WHERE email = lower(?)", "t",
                      email);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        out->account_id = store_col_int64(s, 0);
        out->agency_id = store_col_is_null(s, 1) ? 0 : store_col_int64(s, 1);
        snprintf(out->email, sizeof(out->email), "%s", store_col_text(s, 2));
        snprintf(out->name, sizeof(out->name), "%s", store_col_text(s, 3));
        rc = SERTEL_OK;
    } else if (rc == STORE_DONE) {
        rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "no account with e-mail %.260s", email);
    }
    store_finalize(s);
    if (rc != SERTEL_OK)
        return rc;
    t.account_id = out->account_id;
    t.agency_id = out->agency_id;
    return ra_policy_check(by, act, &t, err);
}

/* --- an application's documents --- */

/* May by read the documents of application app_id (its owner's account and agency)? */
static int docs_allowed(const ra_actor *by, int64_t app_id, int64_t account_id, int64_t agency_id,
                        sertel_err *err)
{
    ra_target t;
    int rc;

    t.account_id = account_id;
    t.agency_id = agency_id;
    if ((rc = ra_policy_check(by, RA_ACT_APPLICATION_DOCS, &t, err)) != SERTEL_OK)
        sertel_err_prefix(err, "application #%lld", (long long)app_id);
    return rc;
}

int ra_application_documents(ra *r, const ra_actor *by, int64_t app_id, ra_document out[2],
                             size_t *n, sertel_err *err)
{
    store_stmt *s = NULL;
    char sha[2][65];
    int64_t account_id = 0, agency_id = 0;
    size_t i;
    int rc;

    *n = 0;
    memset(out, 0, 2 * sizeof(*out));
    memset(sha, 0, sizeof(sha));
    rc = store_queryf(r->st, &s, err,
                      "SELECT account_id, agency_id, letter_sha256, ktp_sha256 FROM applications "
                      "WHERE id = ?",
                      "i", app_id);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        account_id = store_col_int64(s, 0);
        agency_id = store_col_int64(s, 1);
        snprintf(sha[0], sizeof(sha[0]), "%s", store_col_text(s, 2));
        snprintf(sha[1], sizeof(sha[1]), "%s", store_col_text(s, 3));
        rc = SERTEL_OK;
    } else if (rc == STORE_DONE) {
        rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "there is no application #%lld",
                            (long long)app_id);
    }
    store_finalize(s);
    s = NULL;
    if (rc != SERTEL_OK || (rc = docs_allowed(by, app_id, account_id, agency_id, err)) != SERTEL_OK)
        return rc;
    for (i = 0; i < 2; i++) {
        ra_document *d = &out[*n];

        if (sha[i][0] == '\0')
            continue;
        snprintf(d->kind, sizeof(d->kind), "%s", i == 0 ? "letter" : "ktp");
        snprintf(d->sha256, sizeof(d->sha256), "%.64s", sha[i]);
        /* Stored content-addressed: <uploads>/<first two digits>/<sha256> (upload_store). */
        snprintf(d->path, sizeof(d->path), "%s/%.2s/%.64s", r->uploads, sha[i], sha[i]);
        d->size = -1;
        rc = store_queryf(r->st, &s, err, "SELECT size FROM uploads WHERE sha256 = ?", "t", sha[i]);
        if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW)
            d->size = store_col_int64(s, 0);
        store_finalize(s);
        s = NULL;
        if (rc < 0) {
            memset(out, 0, 2 * sizeof(*out));
            *n = 0;
            return rc;
        }
        (*n)++;
    }
    return SERTEL_OK;
}

void ra_app_file_clear(ra_app_file *f)
{
    if (f == NULL)
        return;
    free(f->data);
    memset(f, 0, sizeof(*f));
}

int ra_application_file(ra *r, const ra_actor *by, int64_t app_id, const char *which,
                        ra_app_file *out, sertel_err *err)
{
    ra_application a;
    store_stmt *s = NULL;
    const char *sha, *ext;
    char kind[16] = "", obj[48];
    upload_kind k;
    int rc, letter;

    memset(out, 0, sizeof(*out));
    letter = strcmp(which, "letter") == 0;
    if (!letter && strcmp(which, "ktp") != 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "an application's documents are 'letter' and 'ktp'");
    /* Who may read it is decided on the application's owner and agency. */
    memset(&a, 0, sizeof(a));
    rc = store_queryf(r->st, &s, err,
                      "SELECT p.account_id, p.agency_id, p.letter_sha256, p.ktp_sha256, u.kind "
                      "FROM applications p LEFT JOIN uploads u ON u.sha256 = (CASE WHEN ? = 1 "
                      "THEN p.letter_sha256 ELSE p.ktp_sha256 END) WHERE p.id = ?",
                      "ii", (int64_t)letter, app_id);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        a.account_id = store_col_int64(s, 0);
        a.agency_id = store_col_int64(s, 1);
        snprintf(a.letter_sha256, sizeof(a.letter_sha256), "%s", store_col_text(s, 2));
        snprintf(a.ktp_sha256, sizeof(a.ktp_sha256), "%s", store_col_text(s, 3));
        snprintf(kind, sizeof(kind), "%s", store_col_text(s, 4));
        rc = SERTEL_OK;
    } else if (rc == STORE_DONE) {
        rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "there is no application #%lld",
                            (long long)app_id);
    }
    store_finalize(s);
    if (rc != SERTEL_OK)
        return rc;
    if ((rc = docs_allowed(by, app_id, a.account_id, a.agency_id, err)) != SERTEL_OK)
        return rc;
    sha = letter ? a.letter_sha256 : a.ktp_sha256;
    if (sha[0] == '\0')
        return sertel_err_set(err, SERTEL_ERR_NOTFOUND, "application #%lld has no %s",
                              (long long)app_id, letter ? "recommendation letter" : "e-KTP scan");
    k = strcmp(kind, "PDF") == 0    ? UPLOAD_PDF
        : strcmp(kind, "JPEG") == 0 ? UPLOAD_JPEG
        : strcmp(kind, "PNG") == 0  ? UPLOAD_PNG
                                    : (upload_kind)0;
    /* What was stored is only ever served as what the upload check made of it. */
    if (k == 0 || (letter && k != UPLOAD_PDF) || (!letter && k == UPLOAD_PDF))
        return sertel_err_set(err, SERTEL_ERR_TAMPERED,
                              "the %s of application #%lld is recorded as '%.16s': the uploads "
                              "table was altered",
                              which, (long long)app_id, kind);
    if ((rc = upload_load(r->uploads, sha, r->upload_lim.max, &out->data, &out->len, err)) !=
        SERTEL_OK)
        return rc;
    snprintf(out->content_type, sizeof(out->content_type), "%s", upload_content_type(k));
    ext = k == UPLOAD_PDF ? "pdf" : k == UPLOAD_JPEG ? "jpg" : "png";
    snprintf(out->filename, sizeof(out->filename), "application-%lld-%s.%s", (long long)app_id,
             which, ext);
    snprintf(out->sha256, sizeof(out->sha256), "%s", sha);
    /* The read is on record before anyone sees the bytes. */
    snprintf(obj, sizeof(obj), "application:%lld", (long long)app_id);
    rc = ca_txn_begin(r->ca, err);
    if (rc == SERTEL_OK)
        rc = ra_audit_by(r, by, AUDIT_APPLICATION_DOCUMENT_VIEWED, obj, NULL,
                         json_pack("{s:I, s:s, s:s}", "application", (json_int_t)app_id, "document",
                                   which, "sha256", sha),
                         err);
    rc = ra_commit_or_rollback(r, rc, err);
    if (rc != SERTEL_OK) {
        ra_app_file_clear(out);
        return sertel_err_set(err, SERTEL_ERR_BUSY,
                              "the document could not be handed out because its reading could "
                              "not be recorded: try again");
    }
    return SERTEL_OK;
}

/* --- the audit log --- */

int ra_audit_list(ra *r, const ra_actor *by, const audit_filter *f, audit_entry_fn fn, void *arg,
                  size_t *count, sertel_err *err)
{
    int rc;

    if (count != NULL)
        *count = 0;
    if ((rc = ra_policy_check(by, RA_ACT_AUDIT_VIEW, NULL, err)) != SERTEL_OK)
        return rc;
    /* The log is read whole or not at all: only a reach over everything reads it. */
    if (ra_policy_reach(by, RA_ACT_AUDIT_VIEW) != RA_REACH_ALL)
        return sertel_err_set(err, SERTEL_ERR_DENIED, "the audit log is read whole");
    if (f->after < 0 || f->limit < 1 || f->limit > RA_AUDIT_EXPORT_MAX)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "list from a sequence number of 0 or more, 1 to %d entries at a "
                              "time",
                              RA_AUDIT_EXPORT_MAX);
    return audit_read(r->st, f, fn, arg, count, err);
}

/* The seq of a signed head's text ("seq N" on its second line). */
static int head_seq_of(const char *text, size_t len, int64_t *seq, sertel_err *err)
{
    const char *p = memmem(text, len, "\nseq ", 5), *e;

    if (p != NULL) {
        p += 5;
        e = memchr(p, '\n', len - (size_t)(p - text));
        if (e != NULL && num_parse_i64(p, (size_t)(e - p), 1, INT64_MAX, seq) == SERTEL_OK)
            return SERTEL_OK;
    }
    return sertel_err_set(err, SERTEL_ERR_TAMPERED, "the signed audit head is malformed");
}

int ra_audit_export(ra *r, const ra_actor *by, int64_t after, size_t limit, char **head,
                    size_t *head_len, int64_t *head_seq, audit_entry_fn fn, void *arg,
                    size_t *count, sertel_err *err)
{
    EVP_PKEY *pub = NULL;
    int rc;

    *head = NULL;
    *head_len = 0;
    *head_seq = 0;
    if (count != NULL)
        *count = 0;
    if ((rc = ra_policy_check(by, RA_ACT_AUDIT_VIEW, NULL, err)) != SERTEL_OK)
        return rc;
    if (after < 0 || limit < 1 || limit > RA_AUDIT_EXPORT_MAX)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "export from a sequence number of 0 or more, 1 to %d entries at a "
                              "time",
                              RA_AUDIT_EXPORT_MAX);
    /* The export is itself on record (and so inside the head it carries). */
    rc = ca_txn_begin(r->ca, err);
    if (rc == SERTEL_OK)
        rc = ra_audit_by(
            r, by, AUDIT_AUDIT_EXPORTED, "audit_log", NULL,
            json_pack("{s:I, s:I}", "after", (json_int_t)after, "limit", (json_int_t)limit), err);
    if ((rc = ra_commit_or_rollback(r, rc, err)) != SERTEL_OK)
        return rc;
    if ((rc = ca_audit_public_key(r->ca, &pub, err)) != SERTEL_OK)
        return rc;
    rc = audit_head_get(r->st, pub, ca_audit_head_path(r->ca), head, head_len, err);
    EVP_PKEY_free(pub);
    if (rc == SERTEL_OK)
        rc = head_seq_of(*head, *head_len, head_seq, err);
    if (rc == SERTEL_OK) {
        audit_filter f;
        memset(&f, 0, sizeof(f));
        f.after = after;
        f.upto = *head_seq;
        f.limit = limit;
        rc = audit_read(r->st, &f, fn, arg, count, err);
    }
    if (rc != SERTEL_OK) {
        free(*head);
        *head = NULL;
        *head_len = 0;
        *head_seq = 0;
    }
    return rc;
}
