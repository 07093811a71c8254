/*
 * docs.c - the register of signed documents: every document an owner signs
 * with a key the home holds is recorded (id, owner, certificate, time,
 * SHA-256 of the signed file, level, and when known its name and page
 * count) and audited (doc.signed); the register is read by id, by file
 * hash or by owner, for disputes ("did this home sign exactly this
 * file?") and for the API's id_dokumen; ra_doc_lookup gives what the
 * public verification page (<base URL>/verify/<id>) shows.
 */
#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ra/ra_int.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/text.h"

#define DOC_NAME_MAX 255

int ra_sign_record(ra *r, const ra_signer *s, const char *path, const char *level, char id[33],
                   sertel_err *err)
{
    unsigned char md[32];
    int rc;

    id[0] = '\0';
    if ((rc = fs_sha256_file(path, md, err)) != SERTEL_OK)
        return rc;
    return ra_sign_record_digest(r, s, md, level, id, err);
}

int ra_sign_record_digest(ra *r, const ra_signer *s, const unsigned char md[32], const char *level,
                          char id[33], sertel_err *err)
{
    return ra_sign_record_digest_ex(r, s, md, level, NULL, id, err);
}

int ra_sign_record_digest_ex(ra *r, const ra_signer *s, const unsigned char md[32],
                             const char *level, const ra_doc_meta *meta, char id[33],
                             sertel_err *err)
{
    const char *name = meta != NULL ? meta->name : NULL;
    int64_t pages = meta != NULL && meta->pages > 0 ? meta->pages : 0;
    unsigned char rnd[16];
    char serial[41], hex[65], email[300];
    store_stmt *q = NULL;
    int rc;

    id[0] = '\0';
    /* A name that is not plain text is not worth failing a signature over. */
    if (name != NULL && text_check_field("the document name", name, DOC_NAME_MAX, NULL) != 0)
        name = NULL;
    if (s->cert == NULL || ca_serial_hex(s->cert, serial, sizeof(serial)) != SERTEL_OK)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the signer has no certificate");
    randombytes_buf(rnd, sizeof(rnd));
    hex_encode(rnd, sizeof(rnd), id);
    hex_encode(md, (size_t)32, hex);
    if ((rc = store_begin(r->st, err)) != SERTEL_OK)
        return rc;
    rc =
        store_queryf(r->st, &q, err, "SELECT email FROM accounts WHERE id = ?", "i", s->account_id);
    if (rc == SERTEL_OK) {
        rc = store_step(q, err);
        if (rc == STORE_ROW) {
            snprintf(email, sizeof(email), "%s", store_col_text(q, 0));
            rc = SERTEL_OK;
        } else if (rc == STORE_DONE) {
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "the signer's account is unknown");
        }
    }
    store_finalize(q);
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "INSERT INTO signed_documents (id, account_id, cert_serial, signed_at, "
                         "sha256, level, name, pages) VALUES (?, ?, ?, ?, ?, ?, ?, nullif(?, 0))",
                         "titibtti", id, s->account_id, serial, (int64_t)time(NULL), md, (size_t)32,
                         level, name, pages);
    if (rc == SERTEL_OK)
        rc = ra_audit_json(
            r, email, AUDIT_DOC_SIGNED, id,
            json_pack("{s:s, s:s, s:s}", "sha256", hex, "level", level, "cert_serial", serial),
            err);
    rc = ra_commit_or_rollback(r, rc, err);
    if (rc != SERTEL_OK)
        id[0] = '\0';
    return rc;
}

int ra_doc_query(ra *r, const ra_actor *by, const char *id, const unsigned char *sha256,
                 const char *email, ra_doc_fn fn, void *arg, size_t *count, sertel_err *err)
{
    static const char base[] =
        "SELECT d.id, a.email, d.cert_serial, d.signed_at, d.sha256, d.level, a.id, a.agency_id "
        "FROM signed_documents d JOIN accounts a ON a.id = d.account_id ";
    char sql[512];
    store_stmt *q = NULL;
    ra_reach reach = ra_policy_reach(by, RA_ACT_DOC_VIEW);
    int rc;

    *count = 0;
    if (reach == RA_REACH_NONE)
        return ra_policy_check(by, RA_ACT_DOC_VIEW, NULL, err);
    if (id != NULL) {
        snprintf(sql, sizeof(sql), "%sWHERE d.id = ?", base);
        rc = store_queryf(r->st, &q, err, sql, "t", id);
    } else if (sha256 != NULL) {
        snprintf(sql, sizeof(sql), "%sWHERE d.sha256 = ? ORDER BY d.signed_at, d.id", base);
        rc = store_queryf(r->st, &q, err, sql, "b", sha256, (size_t)32);
    } else if (email != NULL) {
        snprintf(sql, sizeof(sql), "%sWHERE a.email = ? ORDER BY d.signed_at, d.id", base);
        rc = store_queryf(r->st, &q, err, sql, "t", email);
    } else {
        snprintf(sql, sizeof(sql), "%sORDER BY d.signed_at, d.id", base);
        rc = store_queryf(r->st, &q, err, sql, "");
    }
    while (rc == SERTEL_OK && (rc = store_step(q, err)) == STORE_ROW) {
        ra_doc d;
        size_t blen = 0;
        const void *b = store_col_blob(q, 4, &blen);
        /* Only what by may see (the register's rows filtered by the policy's reach). */
        if ((reach == RA_REACH_SELF && store_col_int64(q, 6) != by->account_id) ||
            (reach == RA_REACH_AGENCY && store_col_int64(q, 7) != by->agency_id)) {
            rc = SERTEL_OK;
            continue;
        }
        memset(&d, 0, sizeof(d));
        snprintf(d.id, sizeof(d.id), "%s", store_col_text(q, 0));
        snprintf(d.email, sizeof(d.email), "%s", store_col_text(q, 1));
        snprintf(d.cert_serial, sizeof(d.cert_serial), "%s", store_col_text(q, 2));
        d.signed_at = store_col_int64(q, 3);
        if (b != NULL && blen == 32)
            hex_encode(b, 32, d.sha256);
        snprintf(d.level, sizeof(d.level), "%s", store_col_text(q, 5));
        (*count)++;
        rc = fn(arg, &d);
    }
    if (rc == STORE_DONE)
        rc = SERTEL_OK;
    store_finalize(q);
    return rc;
}

int ra_sign_commit(ra *r, const ra_signer *s, fs_output *out, const char *level, char id[33],
                   sertel_err *err)
{
    return ra_sign_commit_ex(r, s, out, level, NULL, id, err);
}

int ra_sign_commit_ex(ra *r, const ra_signer *s, fs_output *out, const char *level,
                      const ra_doc_meta *meta, char id[33], sertel_err *err)
{
    unsigned char md[32];
    int rc;

    id[0] = '\0';
    /* The register first: a signature the home cannot account for is not kept. */
    rc = fs_output_sha256(out, md, err);
    if (rc == SERTEL_OK)
        rc = ra_sign_record_digest_ex(r, s, md, level, meta, id, err);
    if (rc != SERTEL_OK) {
        if (fs_output_can_rewind(out))
            sertel_err_prefix(err, "the signed file was not kept");
        else
            sertel_err_prefix(err, "%s received a signature that is not recorded: discard it",
                              fs_output_name(out));
        fs_output_abort(out);
        return rc;
    }
    rc = fs_output_commit(out, err);
    if (rc != SERTEL_OK)
        sertel_err_prefix(err, "document %s is in the register, but", id);
    return rc;
}

int ra_doc_lookup(ra *r, const char *id, ra_doc_public *out, sertel_err *err)
{
    store_stmt *q = NULL;
    ca_cert_record rec;
    int rc;

    memset(out, 0, sizeof(*out));
    if (strlen(id) != 32 || !hex_is_lower(id, 32))
        return sertel_err_set(err, SERTEL_ERR_NOTFOUND, "no signed document has this id");
    rc = store_queryf(r->st, &q, err,
                      "SELECT d.id, d.signed_at, d.level, d.name, d.pages, a.name, s.position, "
                      "s.unit, g.name, d.cert_serial FROM signed_documents d JOIN accounts a ON "
                      "a.id = d.account_id LEFT JOIN subscribers s ON s.account_id = a.id LEFT "
                      "JOIN agencies g ON g.id = a.agency_id WHERE d.id = ?",
                      "t", id);
    if (rc == SERTEL_OK && (rc = store_step(q, err)) == STORE_ROW) {
        snprintf(out->id, sizeof(out->id), "%s", store_col_text(q, 0));
        out->signed_at = store_col_int64(q, 1);
        snprintf(out->level, sizeof(out->level), "%s", store_col_text(q, 2));
        snprintf(out->name, sizeof(out->name), "%s", store_col_text(q, 3));
        out->pages = store_col_is_null(q, 4) ? 0 : store_col_int64(q, 4);
        snprintf(out->signer_name, sizeof(out->signer_name), "%s", store_col_text(q, 5));
        snprintf(out->signer_position, sizeof(out->signer_position), "%s", store_col_text(q, 6));
        snprintf(out->signer_unit, sizeof(out->signer_unit), "%s", store_col_text(q, 7));
        snprintf(out->agency, sizeof(out->agency), "%s", store_col_text(q, 8));
        snprintf(out->cert_serial, sizeof(out->cert_serial), "%s", store_col_text(q, 9));
        rc = SERTEL_OK;
    } else if (rc == STORE_DONE) {
        rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "no signed document has this id");
    }
    store_finalize(q);
    if (rc != SERTEL_OK) {
        memset(out, 0, sizeof(*out));
        return rc;
    }
    /* The certificate's status now, as its OCSP responder would say it. */
    if ((rc = ca_cert_get(r->ca, out->cert_serial, &rec, err)) != SERTEL_OK) {
        memset(out, 0, sizeof(*out));
        return rc;
    }
    out->cert_not_after = rec.not_after;
    if (strcmp(rec.status, "revoked") == 0) {
        snprintf(out->cert_status, sizeof(out->cert_status), "%s",
                 rec.revocation_reason == CA_REASON_CERTIFICATE_HOLD ? "suspended" : "revoked");
        out->revoked_at = rec.revoked_at;
        snprintf(out->revocation_reason, sizeof(out->revocation_reason), "%s",
                 ca_reason_name(rec.revocation_reason));
    } else {
        snprintf(out->cert_status, sizeof(out->cert_status), "%s",
                 rec.not_after <= (int64_t)time(NULL) ? "expired" : "valid");
    }
    ca_cert_record_clear(&rec);
    return SERTEL_OK;
}
