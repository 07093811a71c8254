/*
 * revoke.c - revocation and suspension of certificates (RFC 5280 §5.3.1
 * reason codes). The record keeps the revocation time and reason that the
 * CRL and OCSP responder publish; certificateHold (suspension) is the one
 * reversible state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/events.h"
#include "ca/ca_int.h"
#include "conf/conf.h"
#include "util/num.h"

static const struct {
    int code;
    const char *name;
} reasons[] = {
    {CA_REASON_UNSPECIFIED, "unspecified"},
    {CA_REASON_KEY_COMPROMISE, "keyCompromise"},
    {CA_REASON_AFFILIATION_CHANGED, "affiliationChanged"},
    {CA_REASON_SUPERSEDED, "superseded"},
    {CA_REASON_CESSATION_OF_OPERATION, "cessationOfOperation"},
    {CA_REASON_CERTIFICATE_HOLD, "certificateHold"},
    {CA_REASON_PRIVILEGE_WITHDRAWN, "privilegeWithdrawn"},
};

int ca_reason_parse(const char *s, int *out)
{
    size_t i;
    int64_t n;

    for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
        if (strcasecmp(s, reasons[i].name) == 0) {
            *out = reasons[i].code;
            return SERTEL_OK;
        }
    }
    if (num_parse_i64z(s, 0, 10, &n) == SERTEL_OK) {
        for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
            if (reasons[i].code == n) {
                *out = (int)n;
                return SERTEL_OK;
            }
        }
    }
    return SERTEL_ERR_INVALID;
}

const char *ca_reason_name(int reason)
{
    size_t i;

    for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (reasons[i].code == reason)
            return reasons[i].name;
    return "unknown";
}

/* Current status of a certificate: 0 valid, 1 suspended, 2 revoked; and its notBefore. */
static int cert_state(store *st, const char *serial, int *state, char *issuer, size_t cap,
                      int64_t *not_before, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    rc = store_prepare(st,
                       "SELECT status, revocation_reason, issuer, profile, not_before FROM "
                       "certificates WHERE serial = ?",
                       &s, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 1, serial, err);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            const char *status = store_col_text(s, 0);
            if (strcmp(status, "valid") == 0)
                *state = 0;
            else if (!store_col_is_null(s, 1) &&
                     store_col_int64(s, 1) == CA_REASON_CERTIFICATE_HOLD)
                *state = 1;
            else
                *state = 2;
            snprintf(issuer, cap, "%s", store_col_text(s, 2));
            *not_before = store_col_int64(s, 4);
            if (strcmp(store_col_text(s, 3), "root-ca") == 0)
                rc = sertel_err_set(err, SERTEL_ERR_DENIED,
                                    "certificate %s is the self-signed root: it cannot be "
                                    "revoked, only retired with the whole CA",
                                    serial);
            else
                rc = SERTEL_OK;
        } else if (rc == STORE_DONE) {
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                                "no certificate with serial %s was issued by this CA", serial);
        }
    }
    store_finalize(s);
    return rc;
}

static int update(store *st, const char *sql, const char *serial, int64_t a, int64_t b, int nargs,
                  sertel_err *err)
{
    store_stmt *s = NULL;
    int rc, i = 1;

    rc = store_prepare(st, sql, &s, err);
    if (rc == SERTEL_OK && nargs >= 1)
        rc = store_bind_int64(s, i++, a, err);
    if (rc == SERTEL_OK && nargs >= 2)
        rc = store_bind_int64(s, i++, b, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, i, serial, err);
    if (rc == SERTEL_OK)
        rc = store_run(s, err);
    store_finalize(s);
    return rc;
}

/*
 * The status of a root-issued certificate (the issuing CA) is published in
 * the root CRL, which only a ceremony signs: the online services leave it.
 */
static int root_at_ceremony(const ca_ctx *ca, const char *serial, const char *issuer,
                            sertel_err *err)
{
    if (!(ca->flags & CA_OPEN_ONLINE) || strcmp(issuer, "root") != 0)
        return SERTEL_OK;
    return sertel_err_set(err, SERTEL_ERR_DENIED,
                          "certificate %s was issued by the root CA: change its status at a root "
                          "ceremony on the command line (sertel cert revoke, then sertel crl "
                          "--root)",
                          serial);
}

int ca_revoke_in_txn(ca_ctx *ca, const char *serial_in, int reason, int64_t invalidity,
                     const char *actor, sertel_err *err)
{
    char serial[64], issuer[32];
    int64_t now = (int64_t)time(NULL), not_before = 0;
    int state = 0, rc;

    if (!store_in_transaction(ca->st))
        return sertel_err_set(err, SERTEL_ERR_STATE, "revocation needs ca_txn_begin");
    if (strcmp(ca_reason_name(reason), "unknown") == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "revocation reason %d is not one sertel uses", reason);
    if (ca_serial_normalize(serial_in, serial, sizeof(serial)) != SERTEL_OK || strlen(serial) > 40)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "'%.80s' is not a serial number", serial_in);
    rc = cert_state(ca->st, serial, &state, issuer, sizeof(issuer), &not_before, err);
    if (rc == SERTEL_OK)
        rc = root_at_ceremony(ca, serial, issuer, err);
    if (rc != SERTEL_OK)
        return rc;
    if (invalidity != 0 && (invalidity > now || invalidity < not_before))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the invalidity date must lie between the certificate's notBefore "
                              "and now (RFC 5280 5.3.2: when the key is known or suspected to "
                              "have been compromised)");
    if (state == 2)
        return sertel_err_set(err, SERTEL_ERR_STATE, "certificate %s is already revoked", serial);
    if (state == 1 && reason == CA_REASON_CERTIFICATE_HOLD)
        return sertel_err_set(err, SERTEL_ERR_STATE, "certificate %s is already suspended", serial);
    if (state == 1)
        /* A hold becomes final: the reason changes, the time stays (RFC 5280 §5.3.1). */
        rc = update(ca->st, "UPDATE certificates SET revocation_reason = ? WHERE serial = ?",
                    serial, reason, 0, 1, err);
    else
        rc = update(ca->st,
                    "UPDATE certificates SET status = 'revoked', revoked_at = ?, "
                    "revocation_reason = ? WHERE serial = ?",
                    serial, now, reason, 2, err);
    if (rc == SERTEL_OK && invalidity != 0)
        rc = update(ca->st, "UPDATE certificates SET invalidity_date = ? WHERE serial = ?", serial,
                    invalidity, 0, 1, err);
    if (rc != SERTEL_OK)
        return rc;
    if ((rc = ca_bump_revocation_epoch(ca, err)) != SERTEL_OK)
        return rc;
    ca->crl_dirty |= strcmp(issuer, "root") == 0 ? 2 : 1;
    return audit_append_json(
        ca->audit, actor ? actor : "system",
        reason == CA_REASON_CERTIFICATE_HOLD ? AUDIT_CERT_SUSPENDED : AUDIT_CERT_REVOKED, serial,
        invalidity != 0
            ? json_pack("{s:s, s:s, s:I}", "reason", ca_reason_name(reason), "issuer", issuer,
                        "invalidity_date", (json_int_t)invalidity)
            : json_pack("{s:s, s:s}", "reason", ca_reason_name(reason), "issuer", issuer),
        NULL, err);
}

int ca_unhold_in_txn(ca_ctx *ca, const char *serial_in, const char *actor, sertel_err *err)
{
    char serial[64], issuer[32];
    int64_t not_before = 0;
    int state = 0, rc;

    if (!store_in_transaction(ca->st))
        return sertel_err_set(err, SERTEL_ERR_STATE, "release needs ca_txn_begin");
    if (ca_serial_normalize(serial_in, serial, sizeof(serial)) != SERTEL_OK || strlen(serial) > 40)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "'%.80s' is not a serial number", serial_in);
    rc = cert_state(ca->st, serial, &state, issuer, sizeof(issuer), &not_before, err);
    if (rc == SERTEL_OK)
        rc = root_at_ceremony(ca, serial, issuer, err);
    if (rc != SERTEL_OK)
        return rc;
    if (state != 1)
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "certificate %s is not suspended: only a certificateHold can be "
                              "released",
                              serial);
    rc = update(ca->st,
                "UPDATE certificates SET status = 'valid', revoked_at = NULL, "
                "revocation_reason = NULL, invalidity_date = NULL WHERE serial = ?",
                serial, 0, 0, 0, err);
    if (rc == SERTEL_OK)
        rc = ca_bump_revocation_epoch(ca, err);
    if (rc != SERTEL_OK)
        return rc;
    ca->crl_dirty |= strcmp(issuer, "root") == 0 ? 2 : 1;
    return audit_append_json(ca->audit, actor ? actor : "system", AUDIT_CERT_RELEASED, serial,
                             json_pack("{s:s}", "reason", "removeFromCRL"), NULL, err);
}

int ca_revoke(ca_ctx *ca, const char *serial, int reason, const char *actor, sertel_err *err)
{
    int rc = ca_txn_begin(ca, err);

    if (rc != SERTEL_OK)
        return rc;
    rc = ca_revoke_in_txn(ca, serial, reason, 0, actor, err);
    if (rc != SERTEL_OK) {
        ca_txn_rollback(ca);
        return rc;
    }
    return ca_txn_commit(ca, err);
}
