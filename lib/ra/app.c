/*
 * app.c - applications for issuance, renewal, data update and revocation,
 * and the verifier's decisions on them (approve, reject with a reason,
 * return for revision with a note). Who may act and which state follows
 * which are the tables of policy.c; this file carries them out. Decisions
 * are final for their step; each is recorded with who and when, in the
 * application's history (application_events) and the audit log, in the
 * same transaction as the change it makes.
 */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "ra/ra_int.h"
#include "ra/upload.h"
#include "ra/upload_job.h"
#include "util/text.h"

/* An application still in progress for this account (0 when none). */
static int open_application(ra *r, int64_t account, int64_t *id, char kind[16], char state[16],
                            sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    *id = 0;
    kind[0] = state[0] = '\0';
    rc = store_queryf(r->st, &s, err,
                      "SELECT id, kind, state FROM applications WHERE account_id = ? AND state IN "
                      "('pending', 'returned', 'approved') ORDER BY id DESC",
                      "i", account);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            *id = store_col_int64(s, 0);
            snprintf(kind, 16, "%s", store_col_text(s, 1));
            snprintf(state, 16, "%s", store_col_text(s, 2));
        }
        rc = rc < 0 ? rc : SERTEL_OK;
    }
    store_finalize(s);
    return rc;
}

int ra_current_cert(ra *r, int64_t account_id, char serial[41], char status[16], int64_t *not_after,
                    sertel_err *err)
{
    ca_cert_record rec;
    int rc = ca_cert_newest_of_account(r->ca, account_id, &rec, err);

    serial[0] = status[0] = '\0';
    *not_after = 0;
    if (rc == SERTEL_ERR_NOTFOUND) {
        sertel_err_clear(err);
        return SERTEL_OK;
    }
    if (rc != SERTEL_OK)
        return rc;
    snprintf(serial, 41, "%s", rec.serial);
    *not_after = rec.not_after;
    if (strcmp(rec.status, "revoked") == 0)
        snprintf(status, 16, "%s",
                 rec.revocation_reason == CA_REASON_CERTIFICATE_HOLD ? "suspended" : "revoked");
    else if (rec.not_after <= (int64_t)time(NULL))
        snprintf(status, 16, "expired");
    else
        snprintf(status, 16, "valid");
    ca_cert_record_clear(&rec);
    return SERTEL_OK;
}

static int record_upload(ra *r, const upload_info *u, sertel_err *err)
{
    int rc = store_execf(
        r->st, err, "INSERT INTO uploads (sha256, kind, size, created_at) VALUES (?, ?, ?, ?)",
        "ttii", u->sha256, upload_kind_name(u->kind), (int64_t)u->size, (int64_t)time(NULL));
    if (rc == SERTEL_ERR_EXISTS) /* content-addressed: the same file twice is one upload */
        rc = SERTEL_OK;
    return rc;
}

int ra_app_log(ra *r, int64_t app_id, const char *actor, const char *event, const char *state,
               const char *note, sertel_err *err)
{
    store_stmt *s = NULL;
    int64_t seq = 1;
    int rc = store_queryf(r->st, &s, err,
                          "SELECT coalesce(max(seq), 0) + 1 FROM application_events WHERE "
                          "application_id = ?",
                          "i", app_id);

    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW)
        seq = store_col_int64(s, 0);
    store_finalize(s);
    if (rc < 0)
        return rc;
    return store_execf(r->st, err,
                       "INSERT INTO application_events (application_id, seq, happened_at, actor, "
                       "event, state, note) VALUES (?, ?, ?, ?, ?, ?, nullif(?, ''))",
                       "iiitttt", app_id, seq, (int64_t)time(NULL), actor, event, state,
                       note != NULL ? note : "");
}

static int insert_application(ra *r, const ra_actor *by, const char *kind, const ra_person *p,
                              int64_t *id, sertel_err *err)
{
    int64_t now = (int64_t)time(NULL);
    int rc = ra_next_id(r, "applications", id, err);

    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "INSERT INTO applications (id, kind, account_id, agency_id, state, "
                         "created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)",
                         "itiiii", *id, kind, p->account_id, p->agency_id, now, now);
    if (rc == SERTEL_OK)
        rc = ra_app_log(r, *id, ra_actor_name(by), "submitted", "pending", NULL, err);
    return rc;
}

int ra_apply_issuance(ra *r, const ra_actor *by, const char *owner, const unsigned char *letter,
                      size_t letter_len, const unsigned char *ktp, size_t ktp_len, int64_t *app_id,
                      sertel_err *err)
{
    ra_person p;
    upload_info li, ki;
    unsigned char *lb = NULL, *kb = NULL; /* the bytes to store (the e-KTP written again) */
    size_t lbn = 0, kbn = 0;
    char kind[16], state[16], serial[41], status[16];
    int64_t open_id = 0, id = 0, na, now = (int64_t)time(NULL);
    const char *to = "pending";
    json_t *d;
    sbx *sb = NULL;
    int rc;

    if ((rc = ra_owner_for(r, by, RA_ACT_APPLY, owner, &p, err)) != SERTEL_OK)
        return rc;
    if (!p.confirmed)
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "%s has not confirmed the e-mail address yet: use the token from "
                              "the confirmation mail first",
                              p.email);
    /* The uploads are parsed in the sandbox only: this process holds the server secret. */
    if ((rc = ra_sandbox(r, &sb, err)) != SERTEL_OK ||
        (rc = upload_check_sb(sb, letter, letter_len, UPLOAD_ACCEPT_PDF, &r->upload_lim,
                              "the recommendation letter", &li, &lb, &lbn, err)) != SERTEL_OK ||
        (rc = upload_check_sb(sb, ktp, ktp_len, UPLOAD_ACCEPT_IMAGE, &r->upload_lim,
                              "the e-KTP scan", &ki, &kb, &kbn, err)) != SERTEL_OK ||
        (rc = store_begin(r->st, err)) != SERTEL_OK) {
        free(lb);
        free(kb);
        return rc;
    }
    if ((rc = open_application(r, p.account_id, &open_id, kind, state, err)) != SERTEL_OK ||
        (rc = ra_current_cert(r, p.account_id, serial, status, &na, err)) != SERTEL_OK ||
        (rc = ra_app_may_open("issuance", kind, state, err)) != SERTEL_OK)
        goto out;
    if (strcmp(status, "valid") == 0) {
        rc = sertel_err_set(err, SERTEL_ERR_STATE,
                            "%s already holds a valid certificate (%s): apply for renewal "
                            "instead",
                            p.email, serial);
        goto out;
    }
    /* Files first (content-addressed, idempotent), then the records. */
    if ((rc = upload_store(r->uploads, lb, lbn, &li, err)) != SERTEL_OK ||
        (rc = upload_store(r->uploads, kb, kbn, &ki, err)) != SERTEL_OK ||
        (rc = record_upload(r, &li, err)) != SERTEL_OK ||
        (rc = record_upload(r, &ki, err)) != SERTEL_OK)
        goto out;
    if (open_id) {
        id = open_id;
        rc = ra_app_next_state("issuance", state, RA_EV_RESUBMIT, &to, err);
        if (rc == SERTEL_OK)
            rc = ra_app_log(r, id, ra_actor_name(by), "resubmitted", to, NULL, err);
    } else {
        rc = insert_application(r, by, "issuance", &p, &id, err);
    }
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "UPDATE applications SET state = ?, letter_sha256 = ?, ktp_sha256 = ?, "
                         "updated_at = ? WHERE id = ?",
                         "tttii", to, li.sha256, ki.sha256, now, id);
    if (rc != SERTEL_OK)
        goto out;
    /* The e-KTP as sent is not stored (only its pixels, written again): its hash is kept here. */
    d = json_pack("{s:I, s:s, s:s, s:s, s:s}", "application", (json_int_t)id, "kind", "issuance",
                  "letter_sha256", li.sha256, "ktp_sha256", ki.sha256, "ktp_original_sha256",
                  ki.orig_sha256);
    if (d != NULL && open_id)
        json_object_set_new(d, "resubmitted", json_true());
    rc = ra_audit_by(r, by, AUDIT_APPLICATION_SUBMITTED, p.email, p.email, d, err);
out:
    free(lb);
    free(kb);
    rc = ra_commit_or_rollback(r, rc, err);
    if (rc == SERTEL_OK && app_id)
        *app_id = id;
    return rc;
}

/*
 * The content of a read-only regular file, mapped (*map, *len; *map is a
 * static empty buffer for an empty file, so that the checks say "empty").
 * A file over max is refused from its size before anything is read.
 */
static int map_upload(int fd, const char *what, size_t max, const unsigned char **map, size_t *len,
                      sertel_err *err)
{
    static const unsigned char empty[1];
    struct stat st;
    void *m;

    *map = NULL;
    *len = 0;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is not a file that can be read", what);
    if ((uint64_t)st.st_size > (uint64_t)max)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s is %lld bytes, more than the limit of %zu bytes: send a "
                              "smaller file (scan at a lower resolution, or print the letter to "
                              "PDF again)",
                              what, (long long)st.st_size, max);
    if (st.st_size == 0) {
        *map = empty;
        return SERTEL_OK;
    }
    m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
        return sertel_err_set(err, errno == ENOMEM ? SERTEL_ERR_NOMEM : SERTEL_ERR_IO,
                              "cannot read %s: %s", what, strerror(errno));
    *map = m;
    *len = (size_t)st.st_size;
    return SERTEL_OK;
}

static void unmap_upload(const unsigned char *map, size_t len)
{
    if (map != NULL && len > 0)
        munmap((void *)(uintptr_t)map, len);
}

int ra_apply_issuance_fd(ra *r, const ra_actor *by, const char *owner, int letter_fd, int ktp_fd,
                         int64_t *app_id, sertel_err *err)
{
    const unsigned char *lm = NULL, *km = NULL;
    size_t ln = 0, kn = 0, max = r->upload_lim.max ? r->upload_lim.max : UPLOAD_DEFAULT_MAX;
    int rc;

    if ((rc = map_upload(letter_fd, "the recommendation letter", max, &lm, &ln, err)) ==
            SERTEL_OK &&
        (rc = map_upload(ktp_fd, "the e-KTP scan", max, &km, &kn, err)) == SERTEL_OK)
        rc = ra_apply_issuance(r, by, owner, lm, ln, km, kn, app_id, err);
    unmap_upload(lm, ln);
    unmap_upload(km, kn);
    return rc;
}

int ra_apply_renewal(ra *r, const ra_actor *by, const char *owner, int64_t *app_id, sertel_err *err)
{
    ra_person p;
    char kind[16], state[16], serial[41], status[16];
    int64_t open_id = 0, id = 0, na, now = (int64_t)time(NULL);
    int rc;

    if ((rc = ra_owner_for(r, by, RA_ACT_APPLY, owner, &p, err)) != SERTEL_OK)
        return rc;
    rc = store_begin(r->st, err);
    if (rc != SERTEL_OK)
        return rc;
    if ((rc = open_application(r, p.account_id, &open_id, kind, state, err)) != SERTEL_OK ||
        (rc = ra_app_may_open("renewal", kind, state, err)) != SERTEL_OK ||
        (rc = ra_current_cert(r, p.account_id, serial, status, &na, err)) != SERTEL_OK)
        goto out;
    if (strcmp(status, "valid") != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_STATE,
                            "%s has no certificate that can be renewed (a revoked, suspended or "
                            "expired certificate is not renewed: apply for issuance)",
                            p.email);
        goto out;
    }
    if (now < na - r->renewal_window) {
        rc = sertel_err_set(err, SERTEL_ERR_STATE,
                            "certificate %s can be renewed from %lld days before it expires; "
                            "it still has %lld days",
                            serial, (long long)(r->renewal_window / 86400),
                            (long long)((na - now) / 86400));
        goto out;
    }
    rc = insert_application(r, by, "renewal", &p, &id, err);
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err, "UPDATE applications SET cert_serial = ? WHERE id = ?", "ti",
                         serial, id);
    if (rc == SERTEL_OK)
        rc = ra_audit_by(r, by, AUDIT_APPLICATION_SUBMITTED, p.email, p.email,
                         json_pack("{s:I, s:s, s:s}", "application", (json_int_t)id, "kind",
                                   "renewal", "serial", serial),
                         err);
out:
    rc = ra_commit_or_rollback(r, rc, err);
    if (rc == SERTEL_OK && app_id)
        *app_id = id;
    return rc;
}

/* The registered position of an account (subscribers). */
static int person_position(ra *r, int64_t account, char out[256], sertel_err *err)
{
    store_stmt *s = NULL;
    int rc = store_queryf(r->st, &s, err, "SELECT position FROM subscribers WHERE account_id = ?",
                          "i", account);

    out[0] = '\0';
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW)
        snprintf(out, 256, "%s", store_col_text(s, 0));
    store_finalize(s);
    return rc < 0 ? rc : SERTEL_OK;
}

int ra_apply_update(ra *r, const ra_actor *by, const char *owner, const ra_update *u,
                    int64_t *app_id, sertel_err *err)
{
    ra_person p;
    char kind[16], state[16], serial[41], status[16], position[256];
    const char *unit = u->unit != NULL && u->unit[0] ? u->unit : NULL;
    const char *pos = u->position != NULL && u->position[0] ? u->position : NULL;
    int64_t open_id = 0, id = 0, na;
    json_t *d;
    int rc;

    if (unit == NULL && pos == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "a data update names the new work unit, the new position, or both");
    /* The same bounds as at registration: the unit becomes the new certificate's OU. */
    if ((unit != NULL && (rc = text_check_field("the work unit", unit, RA_UB_NAME, err)) != 0) ||
        (pos != NULL &&
         (rc = text_check_field("the position", pos, RA_POSITION_MAX, err)) != SERTEL_OK) ||
        (u->note != NULL && u->note[0] != '\0' &&
         (rc = text_check_note("the note", u->note, RA_REASON_MAX, err)) != SERTEL_OK))
        return rc;
    if ((rc = ra_owner_for(r, by, RA_ACT_APPLY, owner, &p, err)) != SERTEL_OK)
        return rc;
    rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK)
        return rc;
    if ((rc = open_application(r, p.account_id, &open_id, kind, state, err)) != SERTEL_OK ||
        (rc = ra_app_may_open("update", kind, state, err)) != SERTEL_OK ||
        (rc = ra_current_cert(r, p.account_id, serial, status, &na, err)) != SERTEL_OK ||
        (rc = person_position(r, p.account_id, position, err)) != SERTEL_OK)
        goto out;
    if (strcmp(status, "valid") != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_STATE,
                            "%s has no certificate in force to update (a new certificate with "
                            "the new data comes from an issuance application)",
                            p.email);
        goto out;
    }
    if ((unit == NULL || strcmp(unit, p.unit) == 0) &&
        (pos == NULL || strcmp(pos, position) == 0)) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "the new work unit and position are the ones already registered: "
                            "nothing to update");
        goto out;
    }
    rc = insert_application(r, by, "update", &p, &id, err);
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "UPDATE applications SET cert_serial = ?, new_unit = ?, new_position = ?, "
                         "note = ? WHERE id = ?",
                         "tttti", serial, unit, pos, u->note != NULL && u->note[0] ? u->note : NULL,
                         id);
    if (rc == SERTEL_OK) {
        d = json_pack("{s:I, s:s, s:s}", "application", (json_int_t)id, "kind", "update", "serial",
                      serial);
        if (d != NULL && unit != NULL)
            json_object_set_new(d, "unit", json_string(unit));
        if (d != NULL && pos != NULL)
            json_object_set_new(d, "position", json_string(pos));
        rc = ra_audit_by(r, by, AUDIT_APPLICATION_SUBMITTED, p.email, p.email, d, err);
    }
out:
    rc = ra_commit_or_rollback(r, rc, err);
    if (rc == SERTEL_OK && app_id)
        *app_id = id;
    return rc;
}

/* A revocation application; ch: the owner's choice, NULL when the reason was given directly. */
static int apply_revocation(ra *r, const ra_actor *by, const char *owner, const ra_revocation *rv,
                            const ra_revocation_choice *ch, int64_t *app_id, sertel_err *err)
{
    ra_person p;
    char kind[16], state[16], serial[41], status[16];
    int64_t open_id = 0, id = 0, na;
    json_t *d;
    int rc;

    if (rv->reason == CA_REASON_CERTIFICATE_HOLD ||
        strcmp(ca_reason_name(rv->reason), "unknown") == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "give a revocation reason: unspecified, keyCompromise, "
                              "affiliationChanged, superseded, cessationOfOperation or "
                              "privilegeWithdrawn");
    if (rv->invalidity_date != 0 && rv->reason != CA_REASON_KEY_COMPROMISE)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "an invalidity date is given only with keyCompromise: the date "
                              "from which the key may have been used by someone else");
    if (rv->note != NULL && rv->note[0] != '\0' &&
        (rc = text_check_note("the note", rv->note, RA_REASON_MAX, err)) != SERTEL_OK)
        return rc;
    if ((rc = ra_owner_for(r, by, RA_ACT_APPLY, owner, &p, err)) != SERTEL_OK)
        return rc;
    rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK)
        return rc;
    if ((rc = open_application(r, p.account_id, &open_id, kind, state, err)) != SERTEL_OK ||
        (rc = ra_app_may_open("revocation", kind, state, err)) != SERTEL_OK ||
        (rc = ra_current_cert(r, p.account_id, serial, status, &na, err)) != SERTEL_OK)
        goto out;
    if (strcmp(status, "valid") != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_STATE, "%s has no certificate in force to revoke",
                            p.email);
        goto out;
    }
    rc = insert_application(r, by, "revocation", &p, &id, err);
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "UPDATE applications SET cert_serial = ?, reason = ?, "
                         "invalidity_date = nullif(?, 0), note = ?, reason_choice = ? WHERE id = ?",
                         "tiitti", serial, (int64_t)rv->reason, rv->invalidity_date, rv->note,
                         ch != NULL ? ch->name : NULL, id);
    /* A compromised key must stop at once: suspend until the verifier decides. */
    if (rc == SERTEL_OK && rv->reason == CA_REASON_KEY_COMPROMISE) {
        ra_revocation hold = {CA_REASON_CERTIFICATE_HOLD, 0, NULL};
        /* The date is checked now, not at the decision, so the owner hears of a mistake. */
        if (rv->invalidity_date != 0) {
            ca_cert_record rec;
            rc = ca_cert_get(r->ca, serial, &rec, err);
            if (rc == SERTEL_OK &&
                (rv->invalidity_date > (int64_t)time(NULL) || rv->invalidity_date < rec.not_before))
                rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                    "the invalidity date must lie between the certificate's "
                                    "start and now");
            ca_cert_record_clear(&rec);
        }
        if (rc == SERTEL_OK)
            rc = ra_revoke_in_txn(r, ra_actor_name(by), serial, &hold, p.account_id, 0, err);
    }
    if (rc == SERTEL_OK) {
        d = json_pack("{s:I, s:s, s:s, s:s}", "application", (json_int_t)id, "kind", "revocation",
                      "serial", serial, "reason", ca_reason_name(rv->reason));
        if (d != NULL && rv->invalidity_date != 0)
            json_object_set_new(d, "invalidity_date", json_integer(rv->invalidity_date));
        if (d != NULL && rv->note != NULL && rv->note[0] != '\0')
            json_object_set_new(d, "note", json_string(rv->note));
        if (d != NULL && ch != NULL)
            json_object_set_new(d, "choice", json_string(ch->name));
        rc = ra_audit_by(r, by, AUDIT_APPLICATION_SUBMITTED, p.email, p.email, d, err);
    }
out:
    rc = ra_commit_or_rollback(r, rc, err);
    if (rc == SERTEL_OK && app_id)
        *app_id = id;
    return rc;
}

int ra_apply_revocation(ra *r, const ra_actor *by, const char *owner, const ra_revocation *rv,
                        int64_t *app_id, sertel_err *err)
{
    return apply_revocation(r, by, owner, rv, NULL, app_id, err);
}

int ra_apply_revocation_choice(ra *r, const ra_actor *by, const char *owner,
                               const ra_revocation_request *q, int64_t *app_id, sertel_err *err)
{
    const ra_revocation_choice *ch = ra_revocation_choice_find(q->choice);
    ra_revocation rv;

    if (ch == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "'%.40s' is not one of the revocation reasons: kunci_hilang, "
                              "kunci_bocor, dicurigai, data_berubah, tidak_digunakan or lainnya",
                              q->choice != NULL ? q->choice : "");
    if (!ch->takes_date && q->invalidity_date != 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "an invalidity date goes only with kunci_hilang or kunci_bocor: the "
                              "time from which the key may have been in other hands");
    /* A request that stops the certificate at once is never made by a slip. */
    if (ch->suspends && !q->confirmed)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "'%s' suspends the certificate at once: nothing can be signed with "
                              "it until the verifier decides; confirm the request",
                              ch->name);
    memset(&rv, 0, sizeof(rv));
    rv.reason = ch->reason;
    rv.invalidity_date = q->invalidity_date;
    rv.note = q->note;
    return apply_revocation(r, by, owner, &rv, ch, app_id, err);
}

static int load_app(ra *r, int64_t id, ra_application *a, int64_t *owner, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    memset(a, 0, sizeof(*a));
    rc = store_queryf(r->st, &s, err,
                      "SELECT p.id, p.kind, p.state, a.email, a.name, s.nik, p.agency_id, "
                      "p.letter_sha256, p.ktp_sha256, p.cert_serial, p.reason, p.note, "
                      "p.created_at, p.account_id, p.invalidity_date, s.unit, s.position, "
                      "p.new_unit, p.new_position, p.reason_choice, p.updated_at, p.decided_at "
                      "FROM applications p JOIN accounts a ON a.id = p.account_id "
                      "LEFT JOIN subscribers s ON s.account_id = p.account_id WHERE p.id = ?",
                      "i", id);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            a->id = store_col_int64(s, 0);
            snprintf(a->kind, sizeof(a->kind), "%s", store_col_text(s, 1));
            snprintf(a->state, sizeof(a->state), "%s", store_col_text(s, 2));
            snprintf(a->email, sizeof(a->email), "%s", store_col_text(s, 3));
            snprintf(a->name, sizeof(a->name), "%s", store_col_text(s, 4));
            snprintf(a->nik, sizeof(a->nik), "%s", store_col_text(s, 5));
            a->agency_id = store_col_int64(s, 6);
            snprintf(a->letter_sha256, sizeof(a->letter_sha256), "%s", store_col_text(s, 7));
            snprintf(a->ktp_sha256, sizeof(a->ktp_sha256), "%s", store_col_text(s, 8));
            snprintf(a->cert_serial, sizeof(a->cert_serial), "%s", store_col_text(s, 9));
            a->reason = store_col_is_null(s, 10) ? -1 : (int)store_col_int64(s, 10);
            snprintf(a->note, sizeof(a->note), "%s", store_col_text(s, 11));
            a->created_at = store_col_int64(s, 12);
            *owner = store_col_int64(s, 13);
            a->account_id = *owner;
            a->invalidity_date = store_col_is_null(s, 14) ? 0 : store_col_int64(s, 14);
            a->account_id = *owner;
            snprintf(a->unit, sizeof(a->unit), "%s", store_col_text(s, 15));
            snprintf(a->position, sizeof(a->position), "%s", store_col_text(s, 16));
            snprintf(a->new_unit, sizeof(a->new_unit), "%s", store_col_text(s, 17));
            snprintf(a->new_position, sizeof(a->new_position), "%s", store_col_text(s, 18));
            snprintf(a->reason_choice, sizeof(a->reason_choice), "%s", store_col_text(s, 19));
            a->updated_at = store_col_int64(s, 20);
            a->decided_at = store_col_is_null(s, 21) ? 0 : store_col_int64(s, 21);
            rc = SERTEL_OK;
        } else if (rc == STORE_DONE) {
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "there is no application #%lld",
                                (long long)id);
        }
    }
    store_finalize(s);
    return rc;
}

/* Load application id for an act of by on it (ra_policy_check with its owner and agency). */
static int app_for(ra *r, const ra_actor *by, ra_action act, int64_t id, ra_application *a,
                   int64_t *owner, sertel_err *err)
{
    ra_target t;
    int rc = load_app(r, id, a, owner, err);

    if (rc != SERTEL_OK)
        return rc;
    t.account_id = *owner;
    t.agency_id = a->agency_id;
    rc = ra_policy_check(by, act, &t, err);
    if (rc != SERTEL_OK) {
        memset(a, 0, sizeof(*a));
        sertel_err_prefix(err, "application #%lld", (long long)id);
    }
    return rc;
}

int ra_application_get(ra *r, const ra_actor *by, int64_t id, ra_application *out, sertel_err *err)
{
    int64_t owner = 0;

    return app_for(r, by, RA_ACT_APPLICATION_VIEW, id, out, &owner, err);
}

int ra_application_list(ra *r, const ra_actor *by, int own, const char *state, int64_t before_id,
                        int limit, ra_application_fn fn, void *arg, int *more, sertel_err *err)
{
    store_stmt *s = NULL;
    ra_application a;
    ra_reach reach = own ? RA_REACH_SELF : ra_policy_reach(by, RA_ACT_APPLICATION_VIEW);
    int64_t owner, ids[501];
    int rc, n = 0, i;

    if (more != NULL)
        *more = 0;
    if (limit < 1 || limit > 500)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "list 1 to 500 applications at a time");
    if (state != NULL && strcmp(state, "pending") != 0 && strcmp(state, "returned") != 0 &&
        strcmp(state, "approved") != 0 && strcmp(state, "rejected") != 0 &&
        strcmp(state, "withdrawn") != 0 && strcmp(state, "completed") != 0 &&
        strcmp(state, "cancelled") != 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "'%.20s' is not a state: pending, returned, approved, rejected, "
                              "withdrawn, completed or cancelled",
                              state);
    if (own && (by->account_id == 0 || strcmp(by->role, RA_ROLE_CLIENT) == 0))
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "%s has no applications of its own: list another's by state",
                              ra_actor_name(by));
    if (reach == RA_REACH_NONE)
        return ra_policy_check(by, RA_ACT_APPLICATION_VIEW, NULL, err);
    /* Ids first (one statement), then each row as ra_application_get reads it. */
    rc = store_queryf(r->st, &s, err,
                      "SELECT id FROM applications WHERE (? = 0 OR id < ?) AND (? = '' OR state = "
                      "?) AND (? = 3 OR (? = 2 AND agency_id = ?) OR (? = 1 AND account_id = ?)) "
                      "ORDER BY id DESC LIMIT ?",
                      "iittiiiiii", before_id, before_id, state ? state : "", state ? state : "",
                      (int64_t)reach, (int64_t)reach, by->agency_id, (int64_t)reach, by->account_id,
                      (int64_t)limit + 1);
    while (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        ids[n++] = store_col_int64(s, 0);
        rc = SERTEL_OK;
    }
    store_finalize(s);
    if (rc < 0)
        return rc;
    if (n > limit) {
        n = limit;
        if (more != NULL)
            *more = 1;
    }
    for (i = 0; i < n; i++) {
        if ((rc = load_app(r, ids[i], &a, &owner, err)) != SERTEL_OK)
            return rc;
        if (fn(&a, arg) != 0)
            break;
    }
    return SERTEL_OK;
}

int ra_application_history(ra *r, const ra_actor *by, int64_t id, ra_app_step_fn fn, void *arg,
                           sertel_err *err)
{
    ra_application a;
    ra_app_step st;
    store_stmt *s = NULL;
    int64_t owner = 0;
    int rc = app_for(r, by, RA_ACT_APPLICATION_VIEW, id, &a, &owner, err);

    if (rc != SERTEL_OK)
        return rc;
    rc = store_queryf(r->st, &s, err,
                      "SELECT happened_at, actor, event, state, note FROM application_events "
                      "WHERE application_id = ? ORDER BY seq",
                      "i", id);
    while (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        memset(&st, 0, sizeof(st));
        st.at = store_col_int64(s, 0);
        snprintf(st.actor, sizeof(st.actor), "%s", store_col_text(s, 1));
        snprintf(st.event, sizeof(st.event), "%s", store_col_text(s, 2));
        snprintf(st.state, sizeof(st.state), "%s", store_col_text(s, 3));
        snprintf(st.note, sizeof(st.note), "%s", store_col_text(s, 4));
        rc = fn(&st, arg) != 0 ? STORE_DONE : SERTEL_OK;
    }
    store_finalize(s);
    return rc < 0 ? rc : SERTEL_OK;
}

int ra_review_list(ra *r, const ra_actor *by, ra_application_fn fn, void *arg, sertel_err *err)
{
    store_stmt *s = NULL;
    ra_application a;
    ra_reach reach = ra_policy_reach(by, RA_ACT_REVIEW_LIST);
    int64_t owner;
    int rc, all = reach == RA_REACH_ALL;

    /* The whole queue when the policy allows any agency; else the actor's own agency's. */
    if (reach != RA_REACH_ALL && reach != RA_REACH_AGENCY)
        return ra_policy_check(by, RA_ACT_REVIEW_LIST, NULL, err);
    rc = store_queryf(r->st, &s, err,
                      "SELECT id FROM applications WHERE state = 'pending' AND (? = 1 OR "
                      "agency_id = ?) ORDER BY id",
                      "ii", (int64_t)all, by->agency_id);
    while (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_DONE) {
            rc = SERTEL_OK;
            break;
        }
        if (rc < 0)
            break;
        rc = load_app(r, store_col_int64(s, 0), &a, &owner, err);
        if (rc == SERTEL_OK && fn(&a, arg) != 0)
            break;
    }
    store_finalize(s);
    return rc;
}

/* Move application a from its state on ev, recording the decision. */
static int move(ra *r, const ra_actor *by, const ra_application *a, ra_app_event ev,
                const char *note, const char **to, sertel_err *err)
{
    int64_t now = (int64_t)time(NULL);
    int rc = ra_app_next_state(a->kind, a->state, ev, to, err);

    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "UPDATE applications SET state = ?, note = coalesce(?, note), "
                         "decided_by = ?, decided_at = ?, updated_at = ? WHERE id = ? AND "
                         "state = ?",
                         "ttiiiit", *to, note, by->account_id, now, now, a->id, a->state);
    if (rc == SERTEL_OK && store_changes(r->st) != 1)
        rc = sertel_err_set(err, SERTEL_ERR_BUSY,
                            "application #%lld changed meanwhile: look at it again",
                            (long long)a->id);
    if (rc == SERTEL_OK)
        rc = ra_app_log(r, a->id, ra_actor_name(by), ra_app_event_name(ev), *to, note, err);
    return rc;
}

int ra_review_decide(ra *r, const ra_actor *by, int64_t app_id, ra_decision d, const char *reason,
                     sertel_err *err)
{
    ra_application a;
    int64_t owner = 0;
    char token[2 * RA_TOKEN_BYTES + 1] = "", body[2048];
    const char *event = NULL, *to = NULL;
    ra_app_event ev = d == RA_APPROVE  ? RA_EV_APPROVE
                      : d == RA_REJECT ? RA_EV_REJECT
                                       : RA_EV_RETURN;
    int rc;

    if (d != RA_APPROVE && d != RA_REJECT && d != RA_RETURN)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "unknown decision %d", (int)d);
    if ((d == RA_REJECT || d == RA_RETURN) && (reason == NULL || *reason == '\0'))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "give a reason (--reason): the applicant is told why");
    if (reason != NULL && *reason != '\0' &&
        (rc = text_check_note("the reason", reason, RA_REASON_MAX, err)) != SERTEL_OK)
        return rc;
    rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK)
        return rc;
    if ((rc = app_for(r, by, RA_ACT_REVIEW_DECIDE, app_id, &a, &owner, err)) != SERTEL_OK ||
        (rc = move(r, by, &a, ev, reason, &to, err)) != SERTEL_OK)
        goto out;
    if (d == RA_APPROVE && strcmp(a.kind, "revocation") == 0) {
        ra_revocation rv = {a.reason, a.invalidity_date, NULL};
        rc = ra_revoke_in_txn(r, ra_actor_name(by), a.cert_serial, &rv, owner, 0, err);
        snprintf(body, sizeof(body),
                 "Yth. %s,\r\n\r\nPermohonan pencabutan sertifikat elektronik Anda (nomor seri "
                 "%s) telah disetujui. Sertifikat telah dicabut (alasan: %s) dan kunci privatnya "
                 "telah dimusnahkan.\r\n\r\nYour certificate %s has been revoked (%s) and its "
                 "private key destroyed.\r\n",
                 a.name, a.cert_serial, ca_reason_name(a.reason), a.cert_serial,
                 ca_reason_name(a.reason));
        if (rc == SERTEL_OK)
            rc = ra_mail(r, a.email, "Sertifikat elektronik dicabut", body, err);
        event = AUDIT_APPLICATION_APPROVED;
    } else if (d == RA_APPROVE) {
        rc = ra_token_create(r, "passphrase", owner, app_id, r->token_ttl, token, err);
        snprintf(body, sizeof(body),
                 "Yth. %s,\r\n\r\nPermohonan %s sertifikat elektronik Anda telah disetujui "
                 "oleh verifikator.\r\nBuat passphrase Anda dengan token berikut (sekali pakai, "
                 "berlaku %lld jam):\r\n\r\n  %s\r\n\r\n  sertel passphrase create --token %s "
                 "--passphrase-file FILE\r\n  %s/passphrase?token=%s\r\n\r\nJangan berikan "
                 "passphrase kepada siapa pun.\r\n\r\nYour application was approved. Create "
                 "your passphrase with the single-use token above. Never share it.\r\n",
                 a.name,
                 strcmp(a.kind, "renewal") == 0  ? "pembaruan"
                 : strcmp(a.kind, "update") == 0 ? "perubahan data"
                                                 : "penerbitan",
                 (long long)(r->token_ttl / 3600), token, token, r->base_url, token);
        if (rc == SERTEL_OK)
            rc = ra_mail(r, a.email, "Permohonan disetujui - buat passphrase", body, err);
        event = AUDIT_APPLICATION_APPROVED;
    } else {
        /* A rejected keyCompromise request releases the suspension it caused. */
        if (d == RA_REJECT && strcmp(a.kind, "revocation") == 0 &&
            a.reason == CA_REASON_KEY_COMPROMISE)
            rc = ca_unhold_in_txn(r->ca, a.cert_serial, ra_actor_name(by), err);
        snprintf(body, sizeof(body),
                 "Yth. %s,\r\n\r\nPermohonan %s Anda (#%lld) %s oleh verifikator.\r\n"
                 "Alasan: %s\r\n\r\nYour %s application #%lld was %s. Reason: %s\r\n",
                 a.name, a.kind, (long long)app_id,
                 d == RA_REJECT ? "ditolak" : "dikembalikan untuk diperbaiki", reason, a.kind,
                 (long long)app_id, d == RA_REJECT ? "rejected" : "returned for revision", reason);
        if (rc == SERTEL_OK)
            rc = ra_mail(r, a.email,
                         d == RA_REJECT ? "Permohonan ditolak" : "Permohonan perlu diperbaiki",
                         body, err);
        event = d == RA_REJECT ? AUDIT_APPLICATION_REJECTED : AUDIT_APPLICATION_RETURNED;
    }
    if (rc == SERTEL_OK)
        rc = ra_audit_by(r, by, event, "application", NULL,
                         json_pack("{s:I, s:s, s:s, s:s, s:s}", "application", (json_int_t)app_id,
                                   "kind", a.kind, "applicant", a.email, "state", to, "reason",
                                   reason ? reason : ""),
                         err);
out:
    sodium_memzero(token, sizeof(token));
    sodium_memzero(body, sizeof(body));
    return ra_commit_or_rollback(r, rc, err);
}

int ra_withdraw(ra *r, const ra_actor *by, const char *owner_email, int64_t app_id, sertel_err *err)
{
    ra_person p;
    ra_application a;
    int64_t owner = 0;
    const char *to = NULL;
    int rc;

    if ((rc = ra_owner_for(r, by, RA_ACT_APPLY, owner_email, &p, err)) != SERTEL_OK)
        return rc;
    rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK)
        return rc;
    if ((rc = load_app(r, app_id, &a, &owner, err)) != SERTEL_OK)
        goto out;
    if (owner != p.account_id) {
        rc = sertel_err_set(err, SERTEL_ERR_DENIED, "application #%lld is not %s's",
                            (long long)app_id, p.email);
        goto out;
    }
    if ((rc = move(r, by, &a, RA_EV_WITHDRAW, NULL, &to, err)) != SERTEL_OK)
        goto out;
    if (strcmp(a.kind, "revocation") == 0 && a.reason == CA_REASON_KEY_COMPROMISE)
        rc = ca_unhold_in_txn(r->ca, a.cert_serial, ra_actor_name(by), err);
    if (rc == SERTEL_OK)
        rc = ra_audit_by(r, by, AUDIT_APPLICATION_WITHDRAWN, "application", p.email,
                         json_pack("{s:I, s:s}", "application", (json_int_t)app_id, "kind", a.kind),
                         err);
out:
    return ra_commit_or_rollback(r, rc, err);
}
