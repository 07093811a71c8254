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

void ra_doc_id_new(char id[RA_DOC_ID_LEN + 1])
{
    unsigned char rnd[RA_DOC_ID_LEN / 2];

    randombytes_buf(rnd, sizeof(rnd));
    hex_encode(rnd, sizeof(rnd), id);
}

/* The name the register keeps: NULL when unknown or not plain text (not worth failing a
 * signature over). */
static const char *doc_name(const ra_doc_meta *m)
{
    if (m->name == NULL || text_check_field("the document name", m->name, DOC_NAME_MAX, NULL) != 0)
        return NULL;
    return m->name;
}

/* 1 when id is 32 lower-case hex digits (what ra_doc_id_new draws). */
static int id_ok(const char *id)
{
    size_t i;

    for (i = 0; i < RA_DOC_ID_LEN; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    return id[RA_DOC_ID_LEN] == '\0';
}

int ra_sign_record_ids(ra *r, const ra_signer *s, const ra_sign_rec *recs, size_t n,
                       sertel_err *err)
{
    char serial[41], hex[65], email[300];
    store_stmt *q = NULL;
    int64_t now = (int64_t)time(NULL);
    size_t i;
    int rc;

    if (s->cert == NULL || ca_serial_hex(s->cert, serial, sizeof(serial)) != SERTEL_OK)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the signer has no certificate");
    for (i = 0; i < n; i++)
        if (!id_ok(recs[i].id))
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "a document id is 32 lower-case hex digits (ra_doc_id_new)");
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
    /* One transaction for all: a batch is one durable commit (group commit). A plain INSERT:
     * an id already in the register fails the statement (unique), it never replaces a row. */
    for (i = 0; rc == SERTEL_OK && i < n; i++) {
        hex_encode(recs[i].md, (size_t)32, hex);
        rc = store_execf(r->st, err,
                         "INSERT INTO signed_documents (id, account_id, cert_serial, signed_at, "
                         "sha256, level, name, pages) VALUES (?, ?, ?, ?, ?, ?, ?, nullif(?, 0))",
                         "titibtti", recs[i].id, s->account_id, serial, now, recs[i].md, (size_t)32,
                         recs[i].level, doc_name(&recs[i].meta),
                         recs[i].meta.pages > 0 ? recs[i].meta.pages : (int64_t)0);
        if (rc == SERTEL_ERR_EXISTS)
            sertel_err_set(err, SERTEL_ERR_EXISTS,
                           "document id %s is in the register already: nothing was recorded "
                           "(draw a new id and sign again)",
                           recs[i].id);
        if (rc == SERTEL_OK)
            rc = ra_audit_json(r, email, AUDIT_DOC_SIGNED, recs[i].id,
                               json_pack("{s:s, s:s, s:s}", "sha256", hex, "level", recs[i].level,
                                         "cert_serial", serial),
                               err);
    }
    return ra_commit_or_rollback(r, rc, err);
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
    ra_sign_rec rec;
    int rc;

    memset(&rec, 0, sizeof(rec));
    ra_doc_id_new(rec.id);
    memcpy(rec.md, md, sizeof(rec.md));
    rec.level = level;
    if (meta != NULL)
        rec.meta = *meta;
    rc = ra_sign_record_ids(r, s, &rec, 1, err);
    memcpy(id, rc == SERTEL_OK ? rec.id : "", rc == SERTEL_OK ? sizeof(rec.id) : 1);
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

/* ra_sign_commit_id; *recorded says whether the document reached the register. */
static int commit_id(ra *r, const ra_signer *s, fs_output *out, const char *level,
                     const ra_doc_meta *meta, const char *id, int *recorded, sertel_err *err)
{
    ra_sign_rec rec;
    int rc;

    *recorded = 0;
    memset(&rec, 0, sizeof(rec));
    if (strlen(id) != RA_DOC_ID_LEN) {
        fs_output_abort(out);
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "a document id is 32 lower-case hex digits (ra_doc_id_new)");
    }
    memcpy(rec.id, id, sizeof(rec.id));
    rec.level = level;
    if (meta != NULL)
        rec.meta = *meta;
    /* The register first: a signature the home cannot account for is not kept. */
    rc = fs_output_sha256(out, rec.md, err);
    if (rc == SERTEL_OK)
        rc = ra_sign_record_ids(r, s, &rec, 1, err);
    if (rc != SERTEL_OK) {
        if (fs_output_can_rewind(out))
            sertel_err_prefix(err, "the signed file was not kept");
        else
            sertel_err_prefix(err, "%s received a signature that is not recorded: discard it",
                              fs_output_name(out));
        fs_output_abort(out);
        return rc;
    }
    *recorded = 1;
    rc = fs_output_commit(out, err);
    if (rc != SERTEL_OK)
        sertel_err_prefix(err, "document %s is in the register, but", id);
    return rc;
}

int ra_sign_commit_id(ra *r, const ra_signer *s, fs_output *out, const char *level,
                      const ra_doc_meta *meta, const char id[RA_DOC_ID_LEN + 1], sertel_err *err)
{
    int recorded;

    return commit_id(r, s, out, level, meta, id, &recorded, err);
}

int ra_sign_commit(ra *r, const ra_signer *s, fs_output *out, const char *level, char id[33],
                   sertel_err *err)
{
    char drawn[RA_DOC_ID_LEN + 1];
    int rc, recorded = 0;

    ra_doc_id_new(drawn);
    rc = commit_id(r, s, out, level, NULL, drawn, &recorded, err);
    /* The id is handed out once the document is in the register. */
    memcpy(id, recorded ? drawn : "", recorded ? sizeof(drawn) : 1);
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
