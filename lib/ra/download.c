/*
 * download.c - signed files kept for one download (BSrE's v1: GET
 * /api/sign/download/{id_dokumen} answers the signed PDF once; a second
 * call gets 404 "Dokumen telah didownload sebelumnya", status_code 4044).
 *
 * A kept file is a row of signed_downloads: the register's document id,
 * the API client that signed it (only that client downloads it), the bytes,
 * and an expiry ([api] download_retention_hours, 24). A download deletes
 * the bytes (secure_delete zeroes the freed pages) and keeps the row,
 * marked, until the expiry, so that a second download is told apart from
 * an unknown id; ra_download_purge deletes what expired (both kinds). Each
 * step is one transaction with its audit entry; a download is committed
 * before its bytes are handed out, so a file leaves at most once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/ra_int.h"
#include "util/hex.h"

#define PURGE_BATCH 200

static int is_client(const ra_actor *by)
{
    return strcmp(by->role, RA_ROLE_CLIENT) == 0 && by->client_id[0] != '\0';
}

int ra_download_keep(ra *r, const ra_actor *by, const char *doc_id, const unsigned char *data,
                     size_t len, sertel_err *err)
{
    store_stmt *s = NULL;
    ra_target t = {0, 0};
    int64_t now = (int64_t)time(NULL);
    int rc, found = 0;

    if (!is_client(by))
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "signed files are kept for download only for API clients");
    if (!hex_is_lower(doc_id, 32))
        return sertel_err_set(err, SERTEL_ERR_INVALID, "a document id is 32 hex digits");
    if ((rc = ca_txn_begin(r->ca, err)) != SERTEL_OK)
        return rc;
    rc = store_queryf(r->st, &s, err,
                      "SELECT a.id, a.agency_id FROM signed_documents d JOIN accounts a ON a.id = "
                      "d.account_id WHERE d.id = ?",
                      "t", doc_id);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        t.account_id = store_col_int64(s, 0);
        t.agency_id = store_col_is_null(s, 1) ? 0 : store_col_int64(s, 1);
        found = 1;
    }
    store_finalize(s);
    rc = rc < 0 ? rc : SERTEL_OK;
    if (rc == SERTEL_OK && !found)
        rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "document %s is not in the register", doc_id);
    if (rc == SERTEL_OK)
        rc = ra_policy_check(by, RA_ACT_DOC_VIEW, &t, err);
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "INSERT INTO signed_downloads (doc_id, client_id, content, size, "
                         "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                         "ttbiii", doc_id, by->client_id, data, len, (int64_t)len, now,
                         now + r->download_retention);
    if (rc == SERTEL_ERR_EXISTS)
        rc = sertel_err_set(err, SERTEL_ERR_EXISTS, "document %s is kept already", doc_id);
    if (rc == SERTEL_OK)
        rc = ra_audit_by(r, by, AUDIT_DOWNLOAD_KEPT, doc_id, NULL,
                         json_pack("{s:I, s:I}", "size", (json_int_t)len, "expires_at",
                                   (json_int_t)(now + r->download_retention)),
                         err);
    return ra_commit_or_rollback(r, rc, err);
}

int ra_download_take(ra *r, const ra_actor *by, const char *doc_id, unsigned char **out,
                     size_t *len, sertel_err *err)
{
    store_stmt *s = NULL;
    unsigned char *buf = NULL;
    size_t n = 0;
    int64_t now = (int64_t)time(NULL);
    int rc, found = 0, taken = 0;

    *out = NULL;
    *len = 0;
    /* Anyone but the client that signed, and any id not kept, get the same answer. */
    if (!is_client(by) || !hex_is_lower(doc_id, 32))
        return sertel_err_set(err, SERTEL_ERR_NOTFOUND, "no such document to download");
    if ((rc = ca_txn_begin(r->ca, err)) != SERTEL_OK)
        return rc;
    rc = store_queryf(r->st, &s, err,
                      "SELECT content, downloaded_at FROM signed_downloads WHERE doc_id = ? AND "
                      "client_id = ? AND expires_at > ?",
                      "tti", doc_id, by->client_id, now);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        const void *b = store_col_blob(s, 0, &n);
        found = 1;
        taken = !store_col_is_null(s, 1);
        rc = SERTEL_OK;
        if (!taken && (buf = malloc(n ? n : 1)) == NULL)
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        else if (!taken && n > 0)
            memcpy(buf, b, n);
    }
    store_finalize(s);
    rc = rc < 0 ? rc : SERTEL_OK;
    if (rc == SERTEL_OK && !found)
        rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "no such document to download");
    if (rc == SERTEL_OK && taken)
        rc = sertel_err_set(err, SERTEL_ERR_STATE,
                            "document %s was downloaded before (Dokumen telah didownload "
                            "sebelumnya)",
                            doc_id);
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "UPDATE signed_downloads SET content = NULL, downloaded_at = ? WHERE "
                         "doc_id = ? AND downloaded_at IS NULL",
                         "it", now, doc_id);
    if (rc == SERTEL_OK && store_changes(r->st) != 1)
        rc = sertel_err_set(err, SERTEL_ERR_STATE, "document %s was downloaded before", doc_id);
    if (rc == SERTEL_OK)
        rc = ra_audit_by(r, by, AUDIT_DOWNLOAD_TAKEN, doc_id, NULL,
                         json_pack("{s:I}", "size", (json_int_t)n), err);
    rc = ra_commit_or_rollback(r, rc, err);
    if (rc != SERTEL_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = n;
    return SERTEL_OK;
}

int ra_count_expired(ra *r, const char *table, int64_t now, int64_t *count, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    *count = 0;
    if (strcmp(table, "sign_sessions") == 0)
        rc = store_queryf(r->st, &s, err,
                          "SELECT count(*) FROM sign_sessions WHERE expires_at <= ?", "i", now);
    else if (strcmp(table, "signed_downloads") == 0)
        rc = store_queryf(r->st, &s, err,
                          "SELECT count(*) FROM signed_downloads WHERE expires_at <= ?", "i", now);
    else
        return sertel_err_set(err, SERTEL_ERR_INVALID, "no expiring table %s", table);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW)
        *count = store_col_int64(s, 0);
    store_finalize(s);
    return rc < 0 ? rc : SERTEL_OK;
}

int ra_download_purge(ra *r, int64_t now, size_t *n, sertel_err *err)
{
    store_stmt *s = NULL;
    json_t *ids = NULL;
    int64_t due = 0;
    size_t k = 0;
    int rc;

    if (n != NULL)
        *n = 0;
    /* A read first: most ticks find nothing, and take no write lock for it. */
    if ((rc = ra_count_expired(r, "signed_downloads", now, &due, err)) != SERTEL_OK || due == 0)
        return rc;
    /* In batches, each one transaction with one audit entry naming its documents. */
    for (;;) {
        size_t batch = 0;
        if ((rc = ca_txn_begin(r->ca, err)) != SERTEL_OK)
            return rc;
        ids = json_array();
        rc = ids != NULL ? store_queryf(r->st, &s, err,
                                        "SELECT doc_id FROM signed_downloads WHERE expires_at <= "
                                        "? ORDER BY expires_at LIMIT ?",
                                        "ii", now, (int64_t)PURGE_BATCH)
                         : sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        while (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
            rc = json_array_append_new(ids, json_string(store_col_text(s, 0))) == 0
                     ? SERTEL_OK
                     : sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
            batch++;
        }
        store_finalize(s);
        s = NULL;
        rc = rc == STORE_DONE ? SERTEL_OK : rc;
        if (rc == SERTEL_OK && batch == 0) {
            ca_txn_rollback(r->ca); /* nothing to record */
            json_decref(ids);
            break;
        }
        for (size_t i = 0; rc == SERTEL_OK && i < batch; i++)
            rc = store_execf(r->st, err, "DELETE FROM signed_downloads WHERE doc_id = ?", "t",
                             json_string_value(json_array_get(ids, i)));
        if (rc == SERTEL_OK)
            rc = ra_audit_json(r, "system", AUDIT_DOWNLOAD_PURGED, "signed_downloads",
                               json_pack("{s:I, s:O, s:s}", "count", (json_int_t)batch, "documents",
                                         ids, "why", "retention ended"),
                               err);
        json_decref(ids);
        ids = NULL;
        if ((rc = ra_commit_or_rollback(r, rc, err)) != SERTEL_OK)
            return rc;
        k += batch;
        if (n != NULL)
            *n = k;
        if (batch < PURGE_BATCH)
            break;
    }
    return SERTEL_OK;
}
