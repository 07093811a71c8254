/*
 * status.c - a person's status in BSrE's words, direct revocation by a
 * verifier or administrator, and housekeeping (expiry: key destruction and
 * reminders).
 *
 * Status of the person with a NIK, first match wins (the person's
 * certificate is the newest issued to them, ca_cert_newest_of_account):
 *   NOT_REGISTERED            no such NIK
 *   RENEW                     a renewal application in progress
 *   WAITING_FOR_VERIFICATION  an issuance application pending or returned
 *   NEW                       an issuance approved, passphrase not created yet
 *   SUSPEND                   newest certificate on hold (certificateHold)
 *   REVOKE                    newest certificate revoked
 *   EXPIRED                   newest certificate past its notAfter
 *   ISSUE                     newest certificate valid: may sign
 *   NO_CERTIFICATE            registered, nothing applied for or issued
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/nik.h"
#include "ra/ra_int.h"

static const char *const status_names[] = {
    "NOT_REGISTERED", "WAITING_FOR_VERIFICATION", "NEW", "ISSUE", "EXPIRED", "RENEW", "SUSPEND",
    "REVOKE",         "NO_CERTIFICATE",
};

const char *ra_status_name(ra_status s)
{
    if ((unsigned)s < sizeof(status_names) / sizeof(status_names[0]))
        return status_names[s];
    return "UNKNOWN";
}

int ra_status_of_account(ra *r, int64_t account, ra_status *out, sertel_err *err)
{
    store_stmt *s = NULL;
    char kind[16] = "", state[16] = "", serial[41], status[16];
    int64_t not_after = 0;
    ca_cert_record rec;
    int rc;

    *out = RA_STATUS_NOT_REGISTERED;
    rc = store_queryf(r->st, &s, err,
                      "SELECT kind, state FROM applications WHERE account_id = ? AND kind <> "
                      "'revocation' AND state IN ('pending', 'returned', 'approved') "
                      "ORDER BY id DESC",
                      "i", account);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        snprintf(kind, sizeof(kind), "%s", store_col_text(s, 0));
        snprintf(state, sizeof(state), "%s", store_col_text(s, 1));
    }
    store_finalize(s);
    if (rc < 0)
        return rc;
    if (strcmp(kind, "renewal") == 0) {
        *out = RA_STATUS_RENEW;
        return SERTEL_OK;
    }
    if (strcmp(kind, "issuance") == 0) {
        *out = strcmp(state, "approved") == 0 ? RA_STATUS_NEW : RA_STATUS_WAITING_FOR_VERIFICATION;
        return SERTEL_OK;
    }
    if ((rc = ra_current_cert(r, account, serial, status, &not_after, err)) != SERTEL_OK)
        return rc;
    if (serial[0] == '\0')
        *out = RA_STATUS_NO_CERTIFICATE;
    else if (strcmp(status, "suspended") == 0)
        *out = RA_STATUS_SUSPEND;
    else if (strcmp(status, "revoked") == 0)
        *out = RA_STATUS_REVOKE;
    else if (strcmp(status, "expired") == 0)
        *out = RA_STATUS_EXPIRED;
    else if ((rc = ca_cert_get(r->ca, serial, &rec, err)) != SERTEL_OK)
        return rc;
    else {
        *out = rec.not_before > (int64_t)time(NULL) ? RA_STATUS_NEW : RA_STATUS_ISSUE;
        ca_cert_record_clear(&rec);
    }
    return SERTEL_OK;
}

int ra_status_by_nik(ra *r, const char *nik, ra_status *out, sertel_err *err)
{
    store_stmt *s = NULL;
    int64_t account = 0;
    int rc, found = 0;

    *out = RA_STATUS_NOT_REGISTERED;
    if ((rc = nik_check(nik, NULL, err)) != SERTEL_OK)
        return rc;
    rc = store_queryf(r->st, &s, err, "SELECT account_id FROM subscribers WHERE nik = ?", "t", nik);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        account = store_col_int64(s, 0);
        found = 1;
    }
    store_finalize(s);
    if (rc < 0 || !found)
        return rc < 0 ? rc : SERTEL_OK;
    return ra_status_of_account(r, account, out, err);
}

int ra_status_for(ra *r, const ra_actor *by, const char *nik, ra_status *out, sertel_err *err)
{
    return ra_status_for_ex(r, by, RA_ACT_STATUS_VIEW, NULL, nik, out, err);
}

int ra_status_for_ex(ra *r, const ra_actor *by, ra_action act, const char *email, const char *nik,
                     ra_status *out, sertel_err *err)
{
    store_stmt *s = NULL;
    ra_target t = {0, 0};
    int rc, found = 0;

    *out = RA_STATUS_NOT_REGISTERED;
    if (email == NULL && nik == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "name the person by NIK or e-mail");
    if (email == NULL && (rc = nik_check(nik, NULL, err)) != SERTEL_OK)
        return rc;
    if (email != NULL && (email[0] == '\0' || strlen(email) > 254))
        return sertel_err_set(err, SERTEL_ERR_INVALID, "an e-mail address has 1 to 254 bytes");
    if (email != NULL)
        rc = store_queryf(r->st, &s, err,
                          "SELECT a.id, a.agency_id FROM subscribers b JOIN accounts a ON a.id = "
                          "b.account_id WHERE a.email = lower(?)",
                          "t", email);
    else
        rc = store_queryf(r->st, &s, err,
                          "SELECT a.id, a.agency_id FROM subscribers b JOIN accounts a ON a.id = "
                          "b.account_id WHERE b.nik = ?",
                          "t", nik);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        t.account_id = store_col_int64(s, 0);
        t.agency_id = store_col_is_null(s, 1) ? 0 : store_col_int64(s, 1);
        found = 1;
    }
    store_finalize(s);
    if (rc < 0)
        return rc;
    /* Someone by may not see looks exactly like no one. */
    if (!found || ra_policy_check(by, act, &t, NULL) != SERTEL_OK)
        return SERTEL_OK;
    return ra_status_of_account(r, t.account_id, out, err);
}

/* A direct revocation settles the pending revocation applications of its certificate. */
static int settle_pending(ra *r, const ra_actor *by, const char *serial, int64_t now,
                          sertel_err *err)
{
    store_stmt *s = NULL;
    int64_t ids[16];
    const char *to = NULL;
    int n = 0, i, rc;

    rc = store_queryf(r->st, &s, err,
                      "SELECT id FROM applications WHERE cert_serial = ? AND kind = 'revocation' "
                      "AND state = 'pending' ORDER BY id",
                      "t", serial);
    while (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        if (n < 16)
            ids[n++] = store_col_int64(s, 0);
        rc = SERTEL_OK;
    }
    store_finalize(s);
    if (rc < 0)
        return rc;
    rc = ra_app_next_state("revocation", "pending", RA_EV_SETTLE, &to, err);
    for (i = 0; i < n && rc == SERTEL_OK; i++) {
        rc = store_execf(r->st, err,
                         "UPDATE applications SET state = ?, decided_by = ?, decided_at = ?, "
                         "updated_at = ? WHERE id = ? AND state = 'pending'",
                         "tiiii", to, by->account_id, now, now, ids[i]);
        if (rc == SERTEL_OK)
            rc = ra_app_log(r, ids[i], ra_actor_name(by), ra_app_event_name(RA_EV_SETTLE), to, NULL,
                            err);
    }
    return rc;
}

int ra_person_cert(ra *r, const ra_actor *by, const char *email, ca_cert_record *out,
                   sertel_err *err)
{
    ra_person p;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = ra_owner_for(r, by, RA_ACT_STATUS_VIEW, email, &p, err)) != SERTEL_OK)
        return rc;
    rc = ca_cert_newest_of_account(r->ca, p.account_id, out, err);
    if (rc == SERTEL_ERR_NOTFOUND)
        sertel_err_set(err, rc, "%s has no certificate yet", p.email);
    return rc;
}

int ra_cert_revoke(ra *r, const ra_actor *by, const char *serial_in, const ra_revocation *rv,
                   sertel_err *err)
{
    ca_cert_record rec;
    store_stmt *s = NULL;
    ra_target t = {0, 0};
    int64_t now = (int64_t)time(NULL);
    int rc;

    rc = ca_cert_get(r->ca, serial_in, &rec, err);
    if (rc != SERTEL_OK)
        return rc;
    t.account_id = rec.account_id;
    if (rec.account_id != 0) {
        rc = store_queryf(r->st, &s, err, "SELECT agency_id FROM accounts WHERE id = ?", "i",
                          rec.account_id);
        if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW)
            t.agency_id = store_col_is_null(s, 0) ? 0 : store_col_int64(s, 0);
        store_finalize(s);
        if (rc < 0)
            goto done;
    }
    if ((rc = ra_policy_check(by, RA_ACT_CERT_REVOKE, &t, err)) != SERTEL_OK)
        goto done;
    rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK)
        goto done;
    rc = ra_revoke_in_txn(r, ra_actor_name(by), rec.serial, rv, rec.account_id, 0, err);
    /* Any pending revocation application for it is settled by this. */
    if (rc == SERTEL_OK && rv->reason != CA_REASON_CERTIFICATE_HOLD)
        rc = settle_pending(r, by, rec.serial, now, err);
    rc = ra_commit_or_rollback(r, rc, err);
done:
    ca_cert_record_clear(&rec);
    return rc;
}

/* Destroy keys of certificates past their notAfter (the RA's own copy of it). */
static int expire_keys(ra *r, int64_t now, sertel_err *err)
{
    store_stmt *s = NULL;
    char serials[64][41];
    int n = 0, i, rc;

    do {
        n = 0;
        rc = store_queryf(r->st, &s, err,
                          "SELECT cert_serial FROM subscriber_keys WHERE not_after <= ? "
                          "ORDER BY not_after LIMIT 64",
                          "i", now);
        while (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
            snprintf(serials[n++], 41, "%s", store_col_text(s, 0));
            rc = SERTEL_OK;
        }
        store_finalize(s);
        s = NULL;
        if (rc < 0)
            return rc;
        if (n == 0)
            return SERTEL_OK;
        rc = ca_txn_begin(r->ca, err);
        for (i = 0; i < n && rc == SERTEL_OK; i++)
            rc = ra_key_destroy_for_cert(r, serials[i], "expired", "system", err);
        rc = ra_commit_or_rollback(r, rc, err);
    } while (rc == SERTEL_OK && n == 64);
    return rc;
}

/* The first certificate expiring in the window that has not had this reminder yet. */
typedef struct remind_find {
    ra *r;
    int days;
    int found;
    char serial[41];
    int64_t account, not_after;
    int rc;
    sertel_err *err;
} remind_find;

static int remind_pick(const ca_cert_record *c, void *arg)
{
    remind_find *f = arg;
    store_stmt *s = NULL;
    int rc, sent = 0;

    rc = store_queryf(f->r->st, &s, f->err,
                      "SELECT 1 FROM reminders WHERE cert_serial = ? AND days = ?", "ti", c->serial,
                      (int64_t)f->days);
    if (rc == SERTEL_OK && (rc = store_step(s, f->err)) == STORE_ROW)
        sent = 1;
    store_finalize(s);
    if (rc < 0) {
        f->rc = rc;
        return 1;
    }
    if (sent)
        return 0;
    f->found = 1;
    snprintf(f->serial, sizeof(f->serial), "%s", c->serial);
    f->account = c->account_id;
    f->not_after = c->not_after;
    return 1;
}

static int remind(ra *r, int64_t now, int days, int *sent, sertel_err *err)
{
    store_stmt *s = NULL;
    char email[256], name[256], body[1024], subj[128];
    remind_find f;
    int rc;

    for (;;) {
        memset(&f, 0, sizeof(f));
        f.r = r;
        f.days = days;
        f.err = err;
        rc = ca_cert_expiring(r->ca, now, now + (int64_t)days * 86400, remind_pick, &f, err);
        if (f.rc < 0)
            return f.rc;
        if (rc < 0)
            return rc;
        if (!f.found)
            return SERTEL_OK;
        rc = store_queryf(r->st, &s, err, "SELECT email, name FROM accounts WHERE id = ?", "i",
                          f.account);
        if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
            snprintf(email, sizeof(email), "%s", store_col_text(s, 0));
            snprintf(name, sizeof(name), "%s", store_col_text(s, 1));
            rc = SERTEL_OK;
        } else if (rc == STORE_DONE) {
            rc =
                sertel_err_set(err, SERTEL_ERR_INTERNAL, "certificate %s has no account", f.serial);
        }
        store_finalize(s);
        s = NULL;
        if (rc != SERTEL_OK)
            return rc;
        snprintf(subj, sizeof(subj), "Sertifikat elektronik berakhir dalam %lld hari",
                 (long long)((f.not_after - now + 86399) / 86400));
        snprintf(body, sizeof(body),
                 "Yth. %s,\r\n\r\nSertifikat elektronik Anda (nomor seri %s) akan berakhir "
                 "dalam %lld hari. Ajukan pembaruan: sertel apply renewal --email %s\r\n\r\n"
                 "Your electronic certificate %s expires in %lld days: apply for renewal.\r\n",
                 name, f.serial, (long long)((f.not_after - now + 86399) / 86400), email, f.serial,
                 (long long)((f.not_after - now + 86399) / 86400));
        rc = ca_txn_begin(r->ca, err);
        if (rc == SERTEL_OK)
            rc = store_execf(r->st, err,
                             "INSERT INTO reminders (cert_serial, days, sent_at) VALUES (?, ?, ?)",
                             "tii", f.serial, (int64_t)days, now);
        /* A certificate inside the 7-day window needs no 30-day mail too. */
        if (rc == SERTEL_OK && days == 7)
            rc = store_execf(r->st, err,
                             "INSERT INTO reminders (cert_serial, days, sent_at) SELECT ?, 30, ? "
                             "WHERE NOT EXISTS (SELECT 1 FROM reminders WHERE cert_serial = ? "
                             "AND days = 30)",
                             "tit", f.serial, now, f.serial);
        if (rc == SERTEL_OK)
            rc = ra_mail(r, email, subj, body, err);
        if (rc == SERTEL_OK)
            rc = ra_audit_json(r, "system", AUDIT_NOTIFY_EXPIRY, f.serial,
                               json_pack("{s:i}", "days", days), err);
        rc = ra_commit_or_rollback(r, rc, err);
        if (rc != SERTEL_OK)
            return rc;
        if (sent)
            (*sent)++;
    }
}

int ra_notify(ra *r, time_t now, int *sent, sertel_err *err)
{
    int rc;

    if (sent)
        *sent = 0;
    rc = expire_keys(r, (int64_t)now, err);
    if (rc == SERTEL_OK)
        rc = remind(r, (int64_t)now, 7, sent, err);
    if (rc == SERTEL_OK)
        rc = remind(r, (int64_t)now, 30, sent, err);
    return rc;
}
