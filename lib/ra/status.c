/*
 * status.c - a person's status in BSrE's words, direct revocation by a
 * verifier or administrator, and housekeeping (expiry: key destruction and
 * reminders).
 *
 * Status of the person with a NIK, first match wins:
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

int ra_status_by_nik(ra *r, const char *nik, ra_status *out, sertel_err *err)
{
    store_stmt *s = NULL;
    int64_t account = 0, now = (int64_t)time(NULL);
    char kind[16] = "", state[16] = "";
    int rc, found = 0;

    *out = RA_STATUS_NOT_REGISTERED;
    rc = store_queryf(r->st, &s, err, "SELECT account_id FROM subscribers WHERE nik = ?", "t", nik);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        account = store_col_int64(s, 0);
        found = 1;
    }
    store_finalize(s);
    s = NULL;
    if (rc < 0 || !found)
        return rc < 0 ? rc : SERTEL_OK;
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
    s = NULL;
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
    rc = store_queryf(r->st, &s, err,
                      "SELECT status, revocation_reason, not_after, not_before FROM certificates "
                      "WHERE account_id = ? ORDER BY created_at DESC, not_after DESC",
                      "i", account);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            const char *st = store_col_text(s, 0);
            if (strcmp(st, "revoked") == 0)
                *out =
                    !store_col_is_null(s, 1) && store_col_int64(s, 1) == CA_REASON_CERTIFICATE_HOLD
                        ? RA_STATUS_SUSPEND
                        : RA_STATUS_REVOKE;
            else if (store_col_int64(s, 2) <= now)
                *out = RA_STATUS_EXPIRED;
            else if (store_col_int64(s, 3) > now)
                *out = RA_STATUS_NEW; /* not yet valid */
            else
                *out = RA_STATUS_ISSUE;
        } else if (rc == STORE_DONE) {
            *out = RA_STATUS_NO_CERTIFICATE;
        }
        rc = rc < 0 ? rc : SERTEL_OK;
    }
    store_finalize(s);
    return rc;
}

int ra_cert_revoke(ra *r, const ra_actor *by, const char *serial_in, int reason, sertel_err *err)
{
    ca_cert_record rec;
    store_stmt *s = NULL;
    int64_t agency = 0, account = 0;
    int rc;

    if (strcmp(by->role, RA_ROLE_ADMIN) != 0 && strcmp(by->role, RA_ROLE_VERIFIER) != 0)
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "only a verifier or an administrator revokes directly; owners "
                              "apply with 'sertel apply revocation'");
    rc = ca_cert_get(r->ca, serial_in, &rec, err);
    if (rc != SERTEL_OK)
        return rc;
    rc = store_queryf(r->st, &s, err,
                      "SELECT a.id, a.agency_id FROM certificates c JOIN accounts a ON a.id = "
                      "c.account_id WHERE c.serial = ?",
                      "t", rec.serial);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        account = store_col_int64(s, 0);
        agency = store_col_is_null(s, 1) ? 0 : store_col_int64(s, 1);
    }
    store_finalize(s);
    if (rc < 0)
        goto out;
    rc = SERTEL_OK;
    if (strcmp(by->role, RA_ROLE_VERIFIER) == 0 && (agency == 0 || agency != by->agency_id)) {
        rc = sertel_err_set(err, SERTEL_ERR_DENIED, "certificate %s does not belong to your agency",
                            rec.serial);
        goto out;
    }
    if (by->account_id != 0 && account == by->account_id &&
        strcmp(by->role, RA_ROLE_VERIFIER) == 0) {
        rc = sertel_err_set(err, SERTEL_ERR_DENIED,
                            "certificate %s is your own: apply for its revocation instead",
                            rec.serial);
        goto out;
    }
    rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK)
        goto out;
    rc = ca_revoke_in_txn(r->ca, rec.serial, reason, by->email, err);
    if (rc == SERTEL_OK && reason != CA_REASON_CERTIFICATE_HOLD)
        rc = ra_key_destroy_for_cert(r, rec.serial, "revoked", by->email, err);
    /* Any revocation application for it is settled by this. */
    if (rc == SERTEL_OK && reason != CA_REASON_CERTIFICATE_HOLD)
        rc = store_execf(r->st, err,
                         "UPDATE applications SET state = 'completed', decided_by = ?, "
                         "decided_at = ?, updated_at = ? WHERE cert_serial = ? AND kind = "
                         "'revocation' AND state = 'pending'",
                         "iiit", by->account_id, (int64_t)time(NULL), (int64_t)time(NULL),
                         rec.serial);
    if (rc == SERTEL_OK)
        rc = ca_txn_commit(r->ca, err);
    else
        ca_txn_rollback(r->ca);
out:
    ca_cert_record_clear(&rec);
    return rc;
}

/* Destroy keys of certificates past their notAfter. */
static int expire_keys(ra *r, int64_t now, sertel_err *err)
{
    store_stmt *s = NULL;
    char serials[64][41];
    int n = 0, i, rc;

    do {
        n = 0;
        rc = store_queryf(r->st, &s, err,
                          "SELECT k.cert_serial FROM subscriber_keys k JOIN certificates c ON "
                          "c.serial = k.cert_serial WHERE c.not_after <= ? LIMIT 64",
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
        rc = store_begin(r->st, err);
        for (i = 0; i < n && rc == SERTEL_OK; i++)
            rc = ra_key_destroy_for_cert(r, serials[i], "expired", "system", err);
        if (rc == SERTEL_OK)
            rc = ca_txn_commit(r->ca, err);
        else
            store_rollback(r->st);
    } while (rc == SERTEL_OK && n == 64);
    return rc;
}

static int remind(ra *r, int64_t now, int days, int *sent, sertel_err *err)
{
    store_stmt *s = NULL;
    char serial[41], email[256], name[256], body[1024], subj[128];
    int64_t na = 0;
    int rc;

    for (;;) {
        serial[0] = '\0';
        rc = store_queryf(r->st, &s, err,
                          "SELECT c.serial, a.email, a.name, c.not_after FROM certificates c "
                          "JOIN accounts a ON a.id = c.account_id WHERE c.status = 'valid' AND "
                          "c.not_after > ? AND c.not_after <= ? AND NOT EXISTS (SELECT 1 FROM "
                          "reminders m WHERE m.cert_serial = c.serial AND m.days = ?) LIMIT 1",
                          "iii", now, now + (int64_t)days * 86400, (int64_t)days);
        if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
            snprintf(serial, sizeof(serial), "%s", store_col_text(s, 0));
            snprintf(email, sizeof(email), "%s", store_col_text(s, 1));
            snprintf(name, sizeof(name), "%s", store_col_text(s, 2));
            na = store_col_int64(s, 3);
            rc = SERTEL_OK;
        }
        store_finalize(s);
        s = NULL;
        if (rc < 0)
            return rc;
        if (!serial[0])
            return SERTEL_OK;
        snprintf(subj, sizeof(subj), "Sertifikat elektronik berakhir dalam %lld hari",
                 (long long)((na - now + 86399) / 86400));
        snprintf(body, sizeof(body),
                 "Yth. %s,\r\n\r\nSertifikat elektronik Anda (nomor seri %s) akan berakhir "
                 "dalam %lld hari. Ajukan pembaruan: sertel apply renewal --email %s\r\n\r\n"
                 "Your electronic certificate %s expires in %lld days: apply for renewal.\r\n",
                 name, serial, (long long)((na - now + 86399) / 86400), email, serial,
                 (long long)((na - now + 86399) / 86400));
        rc = store_begin(r->st, err);
        if (rc == SERTEL_OK)
            rc = store_execf(r->st, err,
                             "INSERT INTO reminders (cert_serial, days, sent_at) VALUES (?, ?, ?)",
                             "tii", serial, (int64_t)days, now);
        /* A certificate inside the 7-day window needs no 30-day mail too. */
        if (rc == SERTEL_OK && days == 7)
            rc = store_execf(r->st, err,
                             "INSERT INTO reminders (cert_serial, days, sent_at) SELECT ?, 30, ? "
                             "WHERE NOT EXISTS (SELECT 1 FROM reminders WHERE cert_serial = ? "
                             "AND days = 30)",
                             "tit", serial, now, serial);
        if (rc == SERTEL_OK)
            rc = ra_mail(r, email, subj, body, err);
        if (rc == SERTEL_OK)
            rc = ra_audit(r, "system", "notify.expiry", serial, NULL, err);
        if (rc == SERTEL_OK)
            rc = ca_txn_commit(r->ca, err);
        else
            store_rollback(r->st);
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
