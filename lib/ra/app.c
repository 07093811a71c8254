/*
 * app.c - applications for issuance, renewal and revocation, and the
 * verifier's decisions on them (approve, reject with a reason, return for
 * revision with a note). Decisions are final for their step; each is
 * recorded with who and when, and audited, in the same transaction as the
 * change it makes.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/ra_int.h"
#include "ra/upload.h"

/* The subscriber behind an e-mail address. */
typedef struct subscriber {
    int64_t account_id;
    int64_t agency_id;
    int confirmed;
    char name[256];
    char email[256];
} subscriber;

static int find_subscriber(ra *r, const char *email, subscriber *out, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = store_queryf(r->st, &s, err,
                      "SELECT a.id, a.agency_id, s.email_confirmed_at, a.name, a.email "
                      "FROM accounts a JOIN subscribers s ON s.account_id = a.id "
                      "WHERE a.email = lower(?)",
                      "t", email);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            out->account_id = store_col_int64(s, 0);
            out->agency_id = store_col_int64(s, 1);
            out->confirmed = !store_col_is_null(s, 2);
            snprintf(out->name, sizeof(out->name), "%s", store_col_text(s, 3));
            snprintf(out->email, sizeof(out->email), "%s", store_col_text(s, 4));
            rc = SERTEL_OK;
        } else if (rc == STORE_DONE) {
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                                "%s is not registered (NOT_REGISTERED): the agency's verifier "
                                "registers people first",
                                email);
        }
    }
    store_finalize(s);
    return rc;
}

/* An application still in progress for this account (0 when none). */
static int open_application(ra *r, int64_t account, int64_t *id, char kind[16], char state[16],
                            sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    *id = 0;
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

/* Status, expiry and serial of the account's newest certificate. */
static int current_cert_info(ra *r, int64_t account, char serial[41], char status[16], int *reason,
                             int64_t *not_after, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    serial[0] = status[0] = '\0';
    *reason = -1;
    *not_after = 0;
    rc = store_queryf(r->st, &s, err,
                      "SELECT serial, status, revocation_reason, not_after FROM certificates "
                      "WHERE account_id = ? ORDER BY created_at DESC, not_after DESC",
                      "i", account);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            snprintf(serial, 41, "%s", store_col_text(s, 0));
            snprintf(status, 16, "%s", store_col_text(s, 1));
            *reason = store_col_is_null(s, 2) ? -1 : (int)store_col_int64(s, 2);
            *not_after = store_col_int64(s, 3);
        }
        rc = rc < 0 ? rc : SERTEL_OK;
    }
    store_finalize(s);
    return rc;
}

int ra_current_cert(ra *r, int64_t account_id, char serial[41], sertel_err *err)
{
    char status[16];
    int reason;
    int64_t na;

    return current_cert_info(r, account_id, serial, status, &reason, &na, err);
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

static int commit_or_rollback(ra *r, int rc, sertel_err *err)
{
    if (rc == SERTEL_OK)
        return ca_txn_commit(r->ca, err);
    store_rollback(r->st);
    return rc;
}

int ra_apply_issuance(ra *r, const char *email, const unsigned char *letter, size_t letter_len,
                      const unsigned char *ktp, size_t ktp_len, int64_t *app_id, sertel_err *err)
{
    subscriber sub;
    upload_info li, ki;
    upload_limits lim;
    unsigned char *lb = NULL, *kb = NULL; /* the bytes to store (the e-KTP written again) */
    size_t lbn = 0, kbn = 0;
    char kind[16], state[16], serial[41], status[16], *details = NULL;
    json_t *dj = NULL;
    int64_t open_id = 0, id = 0, na, now = (int64_t)time(NULL);
    int reason, rc;

    if ((rc = find_subscriber(r, email, &sub, err)) != SERTEL_OK)
        return rc;
    if (!sub.confirmed)
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "%s has not confirmed the e-mail address yet: use the token from "
                              "the confirmation mail first",
                              sub.email);
    if ((rc = upload_limits_from_conf(r->conf, &lim, err)) != SERTEL_OK ||
        (rc = upload_check(letter, letter_len, UPLOAD_ACCEPT_PDF, &lim, "the recommendation letter",
                           &li, &lb, &lbn, err)) != SERTEL_OK ||
        (rc = upload_check(ktp, ktp_len, UPLOAD_ACCEPT_IMAGE, &lim, "the e-KTP scan", &ki, &kb,
                           &kbn, err)) != SERTEL_OK ||
        (rc = store_begin(r->st, err)) != SERTEL_OK) {
        free(lb);
        free(kb);
        return rc;
    }
    if ((rc = open_application(r, sub.account_id, &open_id, kind, state, err)) != SERTEL_OK ||
        (rc = current_cert_info(r, sub.account_id, serial, status, &reason, &na, err)) != SERTEL_OK)
        goto out;
    if (open_id && !(strcmp(kind, "issuance") == 0 && strcmp(state, "returned") == 0)) {
        rc = sertel_err_set(err, SERTEL_ERR_STATE,
                            "%s already has a %s application in progress (#%lld, %s): wait for "
                            "its decision or withdraw it",
                            sub.email, kind, (long long)open_id, state);
        goto out;
    }
    if (serial[0] && strcmp(status, "valid") == 0 && na > now) {
        rc = sertel_err_set(err, SERTEL_ERR_STATE,
                            "%s already holds a valid certificate (%s): apply for renewal "
                            "instead",
                            sub.email, serial);
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
        rc = store_execf(r->st, err,
                         "UPDATE applications SET state = 'pending', letter_sha256 = ?, "
                         "ktp_sha256 = ?, updated_at = ? WHERE id = ?",
                         "ttii", li.sha256, ki.sha256, now, id);
    } else {
        rc = ra_next_id(r, "applications", &id, err);
        if (rc == SERTEL_OK)
            rc = store_execf(r->st, err,
                             "INSERT INTO applications (id, kind, account_id, agency_id, state, "
                             "letter_sha256, ktp_sha256, created_at, updated_at) "
                             "VALUES (?, 'issuance', ?, ?, 'pending', ?, ?, ?, ?)",
                             "iiittii", id, sub.account_id, sub.agency_id, li.sha256, ki.sha256,
                             now, now);
    }
    if (rc != SERTEL_OK)
        goto out;
    /* The e-KTP as sent is not stored (only its pixels, written again): its hash is kept here. */
    dj = json_pack("{s:I,s:s,s:s,s:s}", "application", (json_int_t)id, "letter_sha256", li.sha256,
                   "ktp_sha256", ki.sha256, "ktp_original_sha256", ki.orig_sha256);
    if (dj != NULL && open_id)
        json_object_set_new(dj, "resubmitted", json_true());
    details = dj != NULL ? json_dumps(dj, JSON_COMPACT) : NULL;
    rc = details == NULL
             ? sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory")
             : ra_audit(r, sub.email, "application.submitted", "issuance", details, err);
out:
    free(details);
    json_decref(dj);
    free(lb);
    free(kb);
    rc = commit_or_rollback(r, rc, err);
    if (rc == SERTEL_OK && app_id)
        *app_id = id;
    return rc;
}

int ra_apply_renewal(ra *r, const char *email, int64_t *app_id, sertel_err *err)
{
    subscriber sub;
    char kind[16], state[16], serial[41], status[16], details[128];
    int64_t open_id = 0, id = 0, na, now = (int64_t)time(NULL);
    int reason, rc;

    if ((rc = find_subscriber(r, email, &sub, err)) != SERTEL_OK)
        return rc;
    rc = store_begin(r->st, err);
    if (rc != SERTEL_OK)
        return rc;
    if ((rc = open_application(r, sub.account_id, &open_id, kind, state, err)) != SERTEL_OK ||
        (rc = current_cert_info(r, sub.account_id, serial, status, &reason, &na, err)) != SERTEL_OK)
        goto out;
    if (open_id) {
        rc = sertel_err_set(err, SERTEL_ERR_STATE,
                            "%s already has a %s application in progress (#%lld, %s)", sub.email,
                            kind, (long long)open_id, state);
        goto out;
    }
    if (!serial[0] || strcmp(status, "valid") != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_STATE,
                            "%s has no certificate that can be renewed (a revoked or suspended "
                            "certificate is not renewed: apply for issuance)",
                            sub.email);
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
    rc = ra_next_id(r, "applications", &id, err);
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "INSERT INTO applications (id, kind, account_id, agency_id, state, "
                         "cert_serial, created_at, updated_at) "
                         "VALUES (?, 'renewal', ?, ?, 'pending', ?, ?, ?)",
                         "iiitii", id, sub.account_id, sub.agency_id, serial, now, now);
    if (rc == SERTEL_OK) {
        snprintf(details, sizeof(details), "{\"application\":%lld,\"serial\":\"%s\"}",
                 (long long)id, serial);
        rc = ra_audit(r, sub.email, "application.submitted", "renewal", details, err);
    }
out:
    rc = commit_or_rollback(r, rc, err);
    if (rc == SERTEL_OK && app_id)
        *app_id = id;
    return rc;
}

int ra_apply_revocation(ra *r, const char *email, int reason, int64_t *app_id, sertel_err *err)
{
    subscriber sub;
    char kind[16], state[16], serial[41], status[16], details[192];
    int64_t open_id = 0, id = 0, na, now = (int64_t)time(NULL);
    int creason, rc;

    if (reason == CA_REASON_CERTIFICATE_HOLD || strcmp(ca_reason_name(reason), "unknown") == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "give a revocation reason: unspecified, keyCompromise, "
                              "affiliationChanged, superseded, cessationOfOperation or "
                              "privilegeWithdrawn");
    if ((rc = find_subscriber(r, email, &sub, err)) != SERTEL_OK)
        return rc;
    rc = store_begin(r->st, err);
    if (rc != SERTEL_OK)
        return rc;
    if ((rc = open_application(r, sub.account_id, &open_id, kind, state, err)) != SERTEL_OK ||
        (rc = current_cert_info(r, sub.account_id, serial, status, &creason, &na, err)) !=
            SERTEL_OK)
        goto out;
    if (open_id && strcmp(kind, "revocation") == 0) {
        rc = sertel_err_set(err, SERTEL_ERR_STATE,
                            "a revocation application is already in progress (#%lld)",
                            (long long)open_id);
        goto out;
    }
    if (!serial[0] || strcmp(status, "valid") != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_STATE, "%s has no certificate in force to revoke",
                            sub.email);
        goto out;
    }
    rc = ra_next_id(r, "applications", &id, err);
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "INSERT INTO applications (id, kind, account_id, agency_id, state, "
                         "cert_serial, reason, created_at, updated_at) "
                         "VALUES (?, 'revocation', ?, ?, 'pending', ?, ?, ?, ?)",
                         "iiitiii", id, sub.account_id, sub.agency_id, serial, (int64_t)reason, now,
                         now);
    /* A compromised key must stop at once: suspend until the verifier decides. */
    if (rc == SERTEL_OK && reason == CA_REASON_KEY_COMPROMISE)
        rc = ca_revoke_in_txn(r->ca, serial, CA_REASON_CERTIFICATE_HOLD, sub.email, err);
    if (rc == SERTEL_OK) {
        snprintf(details, sizeof(details),
                 "{\"application\":%lld,\"serial\":\"%s\",\"reason\":\"%s\"}", (long long)id,
                 serial, ca_reason_name(reason));
        rc = ra_audit(r, sub.email, "application.submitted", "revocation", details, err);
    }
out:
    rc = commit_or_rollback(r, rc, err);
    if (rc == SERTEL_OK && app_id)
        *app_id = id;
    return rc;
}

static int load_app(ra *r, int64_t id, ra_application *a, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    memset(a, 0, sizeof(*a));
    rc = store_queryf(r->st, &s, err,
                      "SELECT p.id, p.kind, p.state, a.email, a.name, s.nik, p.agency_id, "
                      "p.letter_sha256, p.ktp_sha256, p.cert_serial, p.reason, p.note, "
                      "p.created_at, p.account_id "
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
            rc = SERTEL_OK;
        } else if (rc == STORE_DONE) {
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "there is no application #%lld",
                                (long long)id);
        }
    }
    store_finalize(s);
    return rc;
}

static int app_owner(ra *r, int64_t id, int64_t *account, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    rc = store_queryf(r->st, &s, err, "SELECT account_id FROM applications WHERE id = ?", "i", id);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            *account = store_col_int64(s, 0);
            rc = SERTEL_OK;
        } else if (rc == STORE_DONE) {
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "there is no application #%lld",
                                (long long)id);
        }
    }
    store_finalize(s);
    return rc;
}

/* May actor see application a? */
static int may_see(const ra_actor *by, const ra_application *a, int64_t owner)
{
    if (strcmp(by->role, RA_ROLE_ADMIN) == 0 || strcmp(by->role, RA_ROLE_AUDITOR) == 0)
        return 1;
    if (strcmp(by->role, RA_ROLE_VERIFIER) == 0 && by->agency_id == a->agency_id)
        return 1;
    return by->account_id == owner;
}

int ra_application_get(ra *r, const ra_actor *by, int64_t id, ra_application *out, sertel_err *err)
{
    int64_t owner = 0;
    int rc = app_owner(r, id, &owner, err);

    if (rc == SERTEL_OK)
        rc = load_app(r, id, out, err);
    if (rc == SERTEL_OK && !may_see(by, out, owner)) {
        memset(out, 0, sizeof(*out));
        return sertel_err_set(err, SERTEL_ERR_DENIED, "you may not see application #%lld",
                              (long long)id);
    }
    return rc;
}

int ra_review_list(ra *r, const ra_actor *by, ra_application_fn fn, void *arg, sertel_err *err)
{
    store_stmt *s = NULL;
    ra_application a;
    int rc, all = strcmp(by->role, RA_ROLE_ADMIN) == 0 || strcmp(by->role, RA_ROLE_AUDITOR) == 0;

    if (!all && strcmp(by->role, RA_ROLE_VERIFIER) != 0)
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "%s is not a verifier: only verifiers and administrators review "
                              "applications",
                              by->email);
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
        rc = load_app(r, store_col_int64(s, 0), &a, err);
        if (rc == SERTEL_OK && fn(&a, arg) != 0)
            break;
    }
    store_finalize(s);
    return rc;
}

static int set_decided(ra *r, int64_t id, const char *state, const ra_actor *by, const char *note,
                       sertel_err *err)
{
    int64_t now = (int64_t)time(NULL);

    return store_execf(r->st, err,
                       "UPDATE applications SET state = ?, note = ?, decided_by = ?, "
                       "decided_at = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
                       "ttiiii", state, note, by->account_id, now, now, id);
}

int ra_review_decide(ra *r, const ra_actor *by, int64_t app_id, ra_decision d, const char *reason,
                     sertel_err *err)
{
    ra_application a;
    int64_t owner = 0;
    char token[2 * RA_TOKEN_BYTES + 1] = "", body[2048], details[1400], esc[512];
    const char *event = NULL;
    int rc;

    if (strcmp(by->role, RA_ROLE_ADMIN) != 0 && strcmp(by->role, RA_ROLE_VERIFIER) != 0)
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "%s is not a verifier: only verifiers and administrators decide "
                              "applications",
                              by->email);
    if ((d == RA_REJECT || d == RA_RETURN) && (reason == NULL || *reason == '\0'))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "give a reason (--reason): the applicant is told why");
    if (reason != NULL && strlen(reason) > 500)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the reason is longer than 500 characters");
    rc = store_begin(r->st, err);
    if (rc != SERTEL_OK)
        return rc;
    if ((rc = app_owner(r, app_id, &owner, err)) != SERTEL_OK ||
        (rc = load_app(r, app_id, &a, err)) != SERTEL_OK)
        goto out;
    if (strcmp(by->role, RA_ROLE_VERIFIER) == 0 && by->agency_id != a.agency_id) {
        rc = sertel_err_set(err, SERTEL_ERR_DENIED,
                            "application #%lld belongs to another agency: a verifier decides "
                            "only for its own agency",
                            (long long)app_id);
        goto out;
    }
    if (by->account_id != 0 && by->account_id == owner) {
        rc = sertel_err_set(err, SERTEL_ERR_DENIED,
                            "application #%lld is your own: another verifier must decide it",
                            (long long)app_id);
        goto out;
    }
    if (strcmp(a.state, "pending") != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_STATE,
                            "application #%lld is %s: decisions are final, only a pending "
                            "application can be decided",
                            (long long)app_id, a.state);
        goto out;
    }
    if (d == RA_RETURN && strcmp(a.kind, "issuance") != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "only issuance applications are returned for revision; approve or "
                            "reject a %s application",
                            a.kind);
        goto out;
    }
    ra_json_escape(reason ? reason : "", esc, sizeof(esc));
    if (d == RA_APPROVE && strcmp(a.kind, "revocation") == 0) {
        rc = set_decided(r, app_id, "completed", by, reason, err);
        if (rc == SERTEL_OK)
            rc = ca_revoke_in_txn(r->ca, a.cert_serial, a.reason, by->email, err);
        if (rc == SERTEL_OK)
            rc = ra_key_destroy_for_cert(r, a.cert_serial, "revoked", by->email, err);
        snprintf(body, sizeof(body),
                 "Yth. %s,\r\n\r\nPermohonan pencabutan sertifikat elektronik Anda (nomor seri "
                 "%s) telah disetujui. Sertifikat telah dicabut (alasan: %s) dan kunci privatnya "
                 "telah dimusnahkan.\r\n\r\nYour certificate %s has been revoked (%s) and its "
                 "private key destroyed.\r\n",
                 a.name, a.cert_serial, ca_reason_name(a.reason), a.cert_serial,
                 ca_reason_name(a.reason));
        if (rc == SERTEL_OK)
            rc = ra_mail(r, a.email, "Sertifikat elektronik dicabut", body, err);
        event = "application.approved";
    } else if (d == RA_APPROVE) {
        rc = set_decided(r, app_id, "approved", by, reason, err);
        if (rc == SERTEL_OK)
            rc = ra_token_create(r, "passphrase", owner, app_id, r->token_ttl, token, err);
        snprintf(body, sizeof(body),
                 "Yth. %s,\r\n\r\nPermohonan %s sertifikat elektronik Anda telah disetujui "
                 "oleh verifikator.\r\nBuat passphrase Anda dengan token berikut (sekali pakai, "
                 "berlaku %lld jam):\r\n\r\n  %s\r\n\r\n  sertel passphrase create --token %s "
                 "--passphrase-file FILE\r\n  %s/passphrase?token=%s\r\n\r\nJangan berikan "
                 "passphrase kepada siapa pun.\r\n\r\nYour application was approved. Create "
                 "your passphrase with the single-use token above. Never share it.\r\n",
                 a.name, strcmp(a.kind, "renewal") == 0 ? "pembaruan" : "penerbitan",
                 (long long)(r->token_ttl / 3600), token, token, r->base_url, token);
        if (rc == SERTEL_OK)
            rc = ra_mail(r, a.email, "Permohonan disetujui - buat passphrase", body, err);
        event = "application.approved";
    } else {
        rc = set_decided(r, app_id, d == RA_REJECT ? "rejected" : "returned", by, reason, err);
        /* A rejected keyCompromise request releases the suspension it caused. */
        if (rc == SERTEL_OK && d == RA_REJECT && strcmp(a.kind, "revocation") == 0 &&
            a.reason == CA_REASON_KEY_COMPROMISE)
            rc = ca_unhold_in_txn(r->ca, a.cert_serial, by->email, err);
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
        event = d == RA_REJECT ? "application.rejected" : "application.returned";
    }
    if (rc == SERTEL_OK) {
        snprintf(details, sizeof(details),
                 "{\"application\":%lld,\"kind\":\"%s\",\"applicant\":\"%s\",\"reason\":\"%s\"}",
                 (long long)app_id, a.kind, a.email, esc);
        rc = ra_audit(r, by->email, event, "application", details, err);
    }
out:
    sodium_memzero(token, sizeof(token));
    sodium_memzero(body, sizeof(body));
    return commit_or_rollback(r, rc, err);
}

int ra_withdraw(ra *r, const char *email, int64_t app_id, sertel_err *err)
{
    subscriber sub;
    ra_application a;
    int64_t owner = 0;
    char details[128];
    int rc;

    if ((rc = find_subscriber(r, email, &sub, err)) != SERTEL_OK)
        return rc;
    rc = store_begin(r->st, err);
    if (rc != SERTEL_OK)
        return rc;
    if ((rc = app_owner(r, app_id, &owner, err)) != SERTEL_OK ||
        (rc = load_app(r, app_id, &a, err)) != SERTEL_OK)
        goto out;
    if (owner != sub.account_id) {
        rc = sertel_err_set(err, SERTEL_ERR_DENIED, "application #%lld is not yours",
                            (long long)app_id);
        goto out;
    }
    if (strcmp(a.state, "pending") != 0 && strcmp(a.state, "returned") != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_STATE,
                            "application #%lld is %s: only a pending or returned application "
                            "can be withdrawn",
                            (long long)app_id, a.state);
        goto out;
    }
    rc = store_execf(r->st, err,
                     "UPDATE applications SET state = 'withdrawn', updated_at = ? WHERE id = ?",
                     "ii", (int64_t)time(NULL), app_id);
    if (rc == SERTEL_OK && strcmp(a.kind, "revocation") == 0 &&
        a.reason == CA_REASON_KEY_COMPROMISE)
        rc = ca_unhold_in_txn(r->ca, a.cert_serial, sub.email, err);
    if (rc == SERTEL_OK) {
        snprintf(details, sizeof(details), "{\"application\":%lld,\"kind\":\"%s\"}",
                 (long long)app_id, a.kind);
        rc = ra_audit(r, sub.email, "application.withdrawn", "application", details, err);
    }
out:
    return commit_or_rollback(r, rc, err);
}
