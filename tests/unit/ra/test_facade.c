/*
 * test_facade.c - what the registration authority adds for BSrE's API
 * facade (each case fails on the code before it):
 *   - signing sessions (v2's totp): opened with the passphrase, the key
 *     stored only sealed under the code, one use per request up to the
 *     limit, expiry, only the actor that opened it, a wrong code counted
 *     toward the same lockout as a wrong passphrase (and a lock refusing
 *     even the right code), revocation and suspension voiding the
 *     sessions, expired ones purged - all audited;
 *   - a client vouching for its own user's login as the second factor: only
 *     a client registered so (and not disabled), audited with its id; any
 *     other caller without a code is refused;
 *   - signed files kept for one download: once, only by the client that
 *     signed, "already downloaded" told apart, purged after the retention.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"
#include "util/hex.h"

#define PASS "passphrase yang benar"
#define WRONG "passphrase yang salah"

/* Append settings to sertel.conf (section and key = value lines). */
static void conf_append(struct fx *f, const char *text)
{
    char path[4200];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/sertel.conf", f->home);
    fp = fopen(path, "a");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

static void set_second_factor(struct fx *f, const char *v)
{
    char path[4200], cmd[8400];

    snprintf(path, sizeof(path), "%s/sertel.conf", f->home);
    snprintf(cmd, sizeof(cmd), "sed -i 's/^second_factor = .*/second_factor = %s/' '%s'", v, path);
    assert_int_equal(system(cmd), 0);
}

/* A count without parameters. */
static int64_t count0(ra *r, const char *sql)
{
    store_stmt *s = NULL;
    int64_t n = -1;

    assert_int_equal(store_queryf(ca_get0_store(ra_get0_ca(r)), &s, NULL, sql, ""), SERTEL_OK);
    if (store_step(s, NULL) == STORE_ROW)
        n = store_col_int64(s, 0);
    store_finalize(s);
    return n;
}

static int64_t audit_count(ra *r, const char *event)
{
    return count(r, "SELECT count(*) FROM audit_log WHERE event = ?", event, 0);
}

/* A client of the test agency with scopes sign,status; vouching as given. */
static void new_client(ra *r, struct fx *f, int vouches, ra_actor *out, char id[40])
{
    char secret[RA_CLIENT_SECRET_LEN + 1];
    sertel_err err = {0};

    assert_int_equal(ra_client_add(r, local(), f->agency,
                                   vouches ? "e-office (vouches)" : "e-office",
                                   RA_SCOPE_SIGN | RA_SCOPE_STATUS, vouches, id, secret, &err),
                     SERTEL_OK);
    assert_int_equal(ra_client_auth(r, id, secret, out, &err), SERTEL_OK);
}

static void expect_key_of(const ra_signer *sg)
{
    assert_non_null(sg);
    assert_non_null(sg->key);
    assert_int_equal(X509_check_private_key(sg->cert, sg->key), 1);
}

/* --- signing sessions --- */

static void test_session_uses(void **state)
{
    struct fx *f = *state;
    char email[64], code[RA_SIGN_SESSION_CODE_LEN + 1], bad[RA_SIGN_SESSION_CODE_LEN + 1];
    ra *r = NULL;
    ra_signer *sg = NULL;
    ra_sign_session_info info;
    sertel_err err = {0};
    store_stmt *s = NULL;
    int64_t acct;
    int i;

    acct = issue_for(f, email, sizeof(email), PASS);
    conf_append(f, "[api]\ntotp_session_uses = 3\ntotp_session_seconds = 120\n");
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);

    /* A wrong passphrase opens nothing (and counts, as any attempt does). */
    assert_int_equal(
        ra_sign_session_open(r, local(), email, NULL, WRONG, NULL, code, &info, NULL, &err),
        SERTEL_ERR_DENIED);
    assert_int_equal(count0(r, "SELECT count(*) FROM sign_sessions"), 0);
    assert_int_equal(
        ra_sign_session_open(r, local(), email, NULL, PASS, NULL, code, &info, NULL, &err),
        SERTEL_OK);
    assert_int_equal(strlen(code), RA_SIGN_SESSION_CODE_LEN);
    assert_true(hex_is_lower(code, RA_SIGN_SESSION_CODE_LEN));
    assert_int_equal(info.uses, 3);
    assert_true(info.expires_at > (int64_t)time(NULL) + 100 &&
                info.expires_at <= (int64_t)time(NULL) + 120);
    assert_int_equal(audit_count(r, AUDIT_SIGNSESS_OPENED), 1);

    /* The store holds neither the code nor the key in clear: the row's id is not the code, and
     * the box does not hold the key's DER. */
    assert_int_equal(count(r, "SELECT count(*) FROM sign_sessions WHERE id = ?", code, 0), 0);
    {
        ra_signer *k = NULL;
        unsigned char *der = NULL;
        int dl;
        size_t bl = 0;
        const unsigned char *b;
        assert_int_equal(ra_sign_authorize(r, local(), email, PASS, NULL, &k, &err), SERTEL_OK);
        dl = i2d_PrivateKey(k->key, &der);
        assert_true(dl > 32);
        assert_int_equal(store_queryf(ca_get0_store(ra_get0_ca(r)), &s, &err,
                                      "SELECT box FROM sign_sessions", ""),
                         SERTEL_OK);
        assert_int_equal(store_step(s, &err), STORE_ROW);
        b = store_col_blob(s, 0, &bl);
        assert_true(bl > (size_t)dl);
        for (size_t o = 0; o + 32 <= bl; o++)
            assert_true(memcmp(b + o, der + dl - 32, 32) != 0);
        store_finalize(s);
        OPENSSL_clear_free(der, (size_t)dl);
        ra_signer_free(k);
    }

    /* Three uses, each the owner's key; the fourth is refused and counted. */
    for (i = 0; i < 3; i++) {
        assert_int_equal(ra_sign_session_use(r, local(), email, NULL, code, &sg, NULL, &err),
                         SERTEL_OK);
        expect_key_of(sg);
        ra_signer_free(sg);
        sg = NULL;
        assert_int_equal(count0(r, "SELECT count(*) FROM sign_sessions"), i < 2 ? 1 : 0);
    }
    assert_int_equal(ra_sign_session_use(r, local(), email, NULL, code, &sg, NULL, &err),
                     SERTEL_ERR_DENIED);
    assert_null(sg);
    assert_int_equal(
        count(r, "SELECT failed_attempts FROM subscribers WHERE account_id = ?", NULL, acct), 1);

    /* Upper-case hex is the same code; a one-digit change is another (wrong) one. */
    assert_int_equal(
        ra_sign_session_open(r, local(), email, NULL, PASS, NULL, code, &info, NULL, &err),
        SERTEL_OK);
    for (i = 0; code[i]; i++)
        bad[i] = (char)(code[i] >= 'a' ? code[i] - 32 : code[i]);
    bad[i] = '\0';
    assert_int_equal(ra_sign_session_use(r, local(), email, NULL, bad, &sg, NULL, &err), SERTEL_OK);
    ra_signer_free(sg);
    sg = NULL;
    memcpy(bad, code, sizeof(bad));
    bad[5] = bad[5] == '0' ? '1' : '0';
    assert_int_equal(ra_sign_session_use(r, local(), email, NULL, bad, &sg, NULL, &err),
                     SERTEL_ERR_DENIED);
    assert_int_equal(ra_sign_session_use(r, local(), email, NULL, "not a code", &sg, NULL, &err),
                     SERTEL_ERR_DENIED);
    assert_null(sg);
    /* The audit entries say how each use went. */
    assert_true(count(r,
                      "SELECT count(*) FROM audit_log WHERE event = ? AND details LIKE "
                      "'%\"credential\":\"signing_session\"%'",
                      AUDIT_SIGN_AUTHORIZED, 0) == 4);
    assert_true(count(r,
                      "SELECT count(*) FROM audit_log WHERE event = ? AND details LIKE "
                      "'%wrong_session_code%'",
                      AUDIT_SIGN_DENIED, 0) == 3);
    ra_close(r);
    check_audit(f);
}

static void test_session_expiry_and_purge(void **state)
{
    struct fx *f = *state;
    char email[64], code[RA_SIGN_SESSION_CODE_LEN + 1], code2[RA_SIGN_SESSION_CODE_LEN + 1];
    ra *r = NULL;
    ra_signer *sg = NULL;
    ra_sign_session_info info;
    sertel_err err = {0};
    size_t n = 0;
    int64_t acct;

    acct = issue_for(f, email, sizeof(email), PASS);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(
        ra_sign_session_open(r, local(), email, NULL, PASS, NULL, code, &info, NULL, &err),
        SERTEL_OK);
    assert_int_equal(info.uses, 10); /* the default */
    assert_int_equal(
        ra_sign_session_open(r, local(), email, NULL, PASS, NULL, code2, &info, NULL, &err),
        SERTEL_OK);
    assert_string_not_equal(code, code2);
    /* The first one's time is up (set in the store: no waiting in tests). */
    assert_int_equal(store_execf(ca_get0_store(ra_get0_ca(r)), &err,
                                 "UPDATE sign_sessions SET expires_at = ? WHERE rowid = (SELECT "
                                 "min(rowid) FROM sign_sessions)",
                                 "i", (int64_t)time(NULL) - 1),
                     SERTEL_OK);
    assert_int_equal(ra_sign_session_use(r, local(), email, NULL, code, &sg, NULL, &err),
                     SERTEL_ERR_DENIED);
    assert_int_equal(
        count(r, "SELECT failed_attempts FROM subscribers WHERE account_id = ?", NULL, acct), 1);
    assert_int_equal(ra_sign_session_use(r, local(), email, NULL, code2, &sg, NULL, &err),
                     SERTEL_OK);
    ra_signer_free(sg);
    sg = NULL;
    assert_int_equal(ra_sign_session_purge(r, (int64_t)time(NULL), &n, &err), SERTEL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(count0(r, "SELECT count(*) FROM sign_sessions"), 1);
    assert_int_equal(audit_count(r, AUDIT_SIGNSESS_EXPIRED), 1);
    /* Nothing more to purge: no entry either. */
    assert_int_equal(ra_sign_session_purge(r, (int64_t)time(NULL), &n, &err), SERTEL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(audit_count(r, AUDIT_SIGNSESS_EXPIRED), 1);
    ra_close(r);
    check_audit(f);
}

static void test_session_lockout(void **state)
{
    struct fx *f = *state;
    char email[64], code[RA_SIGN_SESSION_CODE_LEN + 1], wrong[RA_SIGN_SESSION_CODE_LEN + 1];
    ra *r = NULL;
    ra_signer *sg = NULL;
    ra_sign_session_info info;
    sertel_err err = {0};
    int64_t acct;
    int i;

    acct = issue_for(f, email, sizeof(email), PASS);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(
        ra_sign_session_open(r, local(), email, NULL, PASS, NULL, code, &info, NULL, &err),
        SERTEL_OK);
    /* Two wrong passphrases and three wrong codes: five failures in a row lock signing. */
    for (i = 0; i < 2; i++)
        assert_int_equal(ra_sign_authorize(r, local(), email, WRONG, NULL, &sg, &err),
                         SERTEL_ERR_DENIED);
    memset(wrong, 'a', RA_SIGN_SESSION_CODE_LEN);
    wrong[RA_SIGN_SESSION_CODE_LEN] = '\0';
    for (i = 0; i < 3; i++)
        assert_int_equal(ra_sign_session_use(r, local(), email, NULL, wrong, &sg, NULL, &err),
                         SERTEL_ERR_DENIED);
    assert_int_equal(
        count(r, "SELECT failed_attempts FROM subscribers WHERE account_id = ?", NULL, acct), 5);
    assert_true(count(r, "SELECT locked_until FROM subscribers WHERE account_id = ?", NULL, acct) >
                (int64_t)time(NULL));
    assert_int_equal(audit_count(r, AUDIT_SIGN_LOCKED), 1);
    /* Locked: the right code is refused, and not counted. */
    assert_int_equal(ra_sign_session_use(r, local(), email, NULL, code, &sg, NULL, &err),
                     SERTEL_ERR_DENIED);
    assert_null(sg);
    assert_int_equal(
        count(r, "SELECT failed_attempts FROM subscribers WHERE account_id = ?", NULL, acct), 5);
    assert_true(count(r,
                      "SELECT count(*) FROM audit_log WHERE event = ? AND details LIKE "
                      "'%\"why\":\"locked\"%' AND details LIKE '%signing_session%'",
                      AUDIT_SIGN_DENIED, 0) == 1);
    /* The session itself is intact: once the lock is lifted it works. */
    assert_int_equal(ra_unlock(r, local(), email, &err), SERTEL_OK);
    assert_int_equal(ra_sign_session_use(r, local(), email, NULL, code, &sg, NULL, &err),
                     SERTEL_OK);
    expect_key_of(sg);
    ra_signer_free(sg);
    /* Ten failures in a row (by codes alone) lock until a verifier unlocks. */
    assert_int_equal(ra_unlock(r, local(), email, &err), SERTEL_OK);
    for (i = 0; i < 10; i++) {
        assert_int_equal(ra_sign_session_use(r, local(), email, NULL, wrong, &sg, NULL, &err),
                         SERTEL_ERR_DENIED);
        if (i == 4) /* the soft lock after five: lifted here to reach the hard one */
            assert_int_equal(store_execf(ca_get0_store(ra_get0_ca(r)), &err,
                                         "UPDATE subscribers SET locked_until = 0 WHERE "
                                         "account_id = ?",
                                         "i", acct),
                             SERTEL_OK);
    }
    assert_int_equal(
        count(r, "SELECT hard_locked FROM subscribers WHERE account_id = ?", NULL, acct), 1);
    ra_close(r);
    check_audit(f);
}

static void test_session_actor_and_revocation(void **state)
{
    struct fx *f = *state;
    char email[64], email2[64], code[RA_SIGN_SESSION_CODE_LEN + 1],
        code2[RA_SIGN_SESSION_CODE_LEN + 1], cid[40], serial[41], st[16];
    ra *r = NULL;
    ra_signer *sg = NULL;
    ra_sign_session_info info;
    ra_actor client;
    ra_revocation hold = {CA_REASON_CERTIFICATE_HOLD, 0, NULL};
    ra_revocation rv = {CA_REASON_AFFILIATION_CHANGED, 0, NULL};
    sertel_err err = {0};
    int64_t acct, acct2, na;

    acct = issue_for(f, email, sizeof(email), PASS);
    acct2 = issue_for(f, email2, sizeof(email2), PASS);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    new_client(r, f, 0, &client, cid);

    /* Opened by the client (by NIK, as BSrE's clients name people): only it may use it. */
    {
        char nik[17];
        store_stmt *s = NULL;
        assert_int_equal(store_queryf(ca_get0_store(ra_get0_ca(r)), &s, &err,
                                      "SELECT nik FROM subscribers WHERE account_id = ?", "i",
                                      acct),
                         SERTEL_OK);
        assert_int_equal(store_step(s, &err), STORE_ROW);
        snprintf(nik, sizeof(nik), "%s", store_col_text(s, 0));
        store_finalize(s);
        assert_int_equal(
            ra_sign_session_open(r, &client, NULL, nik, PASS, NULL, code, &info, NULL, &err),
            SERTEL_OK);
        assert_int_equal(ra_sign_session_use(r, local(), email, NULL, code, &sg, NULL, &err),
                         SERTEL_ERR_DENIED);
        assert_int_equal(ra_sign_session_use(r, &client, NULL, nik, code, &sg, NULL, &err),
                         SERTEL_OK);
        expect_key_of(sg);
        ra_signer_free(sg);
        sg = NULL;
    }
    /* Another owner's session code is no code for this owner. */
    assert_int_equal(
        ra_sign_session_open(r, local(), email2, NULL, PASS, NULL, code2, &info, NULL, &err),
        SERTEL_OK);
    assert_int_equal(ra_sign_session_use(r, local(), email, NULL, code2, &sg, NULL, &err),
                     SERTEL_ERR_DENIED);
    assert_int_equal(ra_sign_session_use(r, local(), email2, NULL, code2, &sg, NULL, &err),
                     SERTEL_OK);
    ra_signer_free(sg);
    sg = NULL;

    /* A suspension voids the owner's sessions (and only the owner's). */
    assert_int_equal(ra_current_cert(r, acct, serial, st, &na, &err), SERTEL_OK);
    assert_int_equal(ra_cert_revoke(r, local(), serial, &hold, &err), SERTEL_OK);
    assert_int_equal(
        count(r, "SELECT count(*) FROM sign_sessions WHERE account_id = ?", NULL, acct), 0);
    assert_int_equal(
        count(r, "SELECT count(*) FROM sign_sessions WHERE account_id = ?", NULL, acct2), 1);
    assert_int_equal(audit_count(r, AUDIT_SIGNSESS_VOIDED), 1);
    assert_int_equal(ra_sign_session_use(r, &client, email, NULL, code, &sg, NULL, &err),
                     SERTEL_ERR_DENIED);
    /* A revocation too. */
    assert_int_equal(ra_current_cert(r, acct2, serial, st, &na, &err), SERTEL_OK);
    assert_int_equal(ra_cert_revoke(r, local(), serial, &rv, &err), SERTEL_OK);
    assert_int_equal(count0(r, "SELECT count(*) FROM sign_sessions"), 0);
    assert_int_equal(audit_count(r, AUDIT_SIGNSESS_VOIDED), 2);
    assert_int_equal(ra_sign_session_use(r, local(), email2, NULL, code2, &sg, NULL, &err),
                     SERTEL_ERR_DENIED);
    assert_null(sg);
    ra_close(r);
    check_audit(f);
}

/* --- a client vouching for its user's login --- */

static void test_vouched_factor(void **state)
{
    struct fx *f = *state;
    char email[64], cid_v[40], cid_n[40];
    ra *r = NULL;
    ra_signer *sg = NULL;
    ra_actor vouching, plain;
    sertel_err err = {0};
    int needed = -1;

    issue_for(f, email, sizeof(email), PASS);
    set_second_factor(f, "totp");
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    new_client(r, f, 1, &vouching, cid_v);
    new_client(r, f, 0, &plain, cid_n);

    assert_int_equal(ra_sign_factor_needed(r, local(), &needed, &err), SERTEL_OK);
    assert_int_equal(needed, 1);
    assert_int_equal(ra_sign_factor_needed(r, &plain, &needed, &err), SERTEL_OK);
    assert_int_equal(needed, 1);
    assert_int_equal(ra_sign_factor_needed(r, &vouching, &needed, &err), SERTEL_OK);
    assert_int_equal(needed, 0);

    /* Without a code: refused for the operator and the plain client, before any work. */
    assert_int_equal(ra_sign_authorize(r, local(), email, PASS, NULL, &sg, &err),
                     SERTEL_ERR_INVALID);
    assert_int_equal(ra_sign_authorize(r, &plain, email, PASS, NULL, &sg, &err),
                     SERTEL_ERR_INVALID);
    assert_null(sg);
    /* The vouching client: authorized, and the audit entry says on whose word. */
    assert_int_equal(ra_sign_authorize(r, &vouching, email, PASS, NULL, &sg, &err), SERTEL_OK);
    expect_key_of(sg);
    ra_signer_free(sg);
    sg = NULL;
    {
        char like[128];
        snprintf(like, sizeof(like), "%%\"client\":\"%s\"%%", cid_v);
        store_stmt *s = NULL;
        int64_t n = 0;
        assert_int_equal(store_queryf(ca_get0_store(ra_get0_ca(r)), &s, &err,
                                      "SELECT count(*) FROM audit_log WHERE event = ? AND details "
                                      "LIKE '%vouched_by_client%' AND details LIKE ?",
                                      "tt", AUDIT_SIGN_AUTHORIZED, like),
                         SERTEL_OK);
        assert_int_equal(store_step(s, &err), STORE_ROW);
        n = store_col_int64(s, 0);
        store_finalize(s);
        assert_int_equal(n, 1);
    }
    /* Vouching does not stand in for the passphrase. */
    assert_int_equal(ra_sign_authorize(r, &vouching, email, WRONG, NULL, &sg, &err),
                     SERTEL_ERR_DENIED);
    /* A vouching client opens sessions the same way. */
    {
        char code[RA_SIGN_SESSION_CODE_LEN + 1];
        ra_sign_session_info info;
        assert_int_equal(
            ra_sign_session_open(r, &vouching, email, NULL, PASS, NULL, code, &info, NULL, &err),
            SERTEL_OK);
        assert_int_equal(
            ra_sign_session_open(r, &plain, email, NULL, PASS, NULL, code, &info, NULL, &err),
            SERTEL_ERR_INVALID);
    }
    /* Disabled: it no longer vouches (read from the store, not from the actor it had). */
    assert_int_equal(ra_client_disable(r, local(), cid_v, &err), SERTEL_OK);
    assert_int_equal(ra_sign_factor_needed(r, &vouching, &needed, &err), SERTEL_OK);
    assert_int_equal(needed, 1);
    assert_int_equal(ra_sign_authorize(r, &vouching, email, PASS, NULL, &sg, &err),
                     SERTEL_ERR_INVALID);
    /* With the factor off, nobody needs a code. */
    ra_close(r);
    set_second_factor(f, "off");
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(ra_sign_factor_needed(r, &plain, &needed, &err), SERTEL_OK);
    assert_int_equal(needed, 0);
    ra_close(r);
    check_audit(f);
}

/* --- signed files kept for one download --- */

static void test_download_once(void **state)
{
    struct fx *f = *state;
    char email[64], cid[40], cid2[40], id[33], id2[33];
    static const unsigned char pdf[] = "%PDF-1.7 signed bytes";
    ra *r = NULL;
    ra_signer *sg = NULL;
    ra_actor client, other;
    unsigned char md[32] = {1}, *got = NULL;
    size_t len = 0, n = 0;
    sertel_err err = {0};

    issue_for(f, email, sizeof(email), PASS);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    new_client(r, f, 0, &client, cid);
    new_client(r, f, 0, &other, cid2);
    assert_int_equal(ra_sign_authorize(r, &client, email, PASS, NULL, &sg, &err), SERTEL_OK);
    assert_int_equal(ra_sign_record_digest(r, sg, md, "B-B", id, &err), SERTEL_OK);
    md[0] = 2;
    assert_int_equal(ra_sign_record_digest(r, sg, md, "B-B", id2, &err), SERTEL_OK);
    ra_signer_free(sg);

    /* Only a client keeps files, only for a document in the register, once. */
    assert_int_equal(ra_download_keep(r, local(), id, pdf, sizeof(pdf), &err), SERTEL_ERR_DENIED);
    assert_int_equal(
        ra_download_keep(r, &client, "0123456789abcdef0123456789abcdef", pdf, sizeof(pdf), &err),
        SERTEL_ERR_NOTFOUND);
    assert_int_equal(ra_download_keep(r, &client, id, pdf, sizeof(pdf), &err), SERTEL_OK);
    assert_int_equal(ra_download_keep(r, &client, id, pdf, sizeof(pdf), &err), SERTEL_ERR_EXISTS);
    assert_int_equal(ra_download_keep(r, &client, id2, pdf, 5, &err), SERTEL_OK);
    assert_int_equal(audit_count(r, AUDIT_DOWNLOAD_KEPT), 2);

    /* Another client, an unknown id: not found; the signing client: the bytes, once. */
    assert_int_equal(ra_download_take(r, &other, id, &got, &len, &err), SERTEL_ERR_NOTFOUND);
    assert_int_equal(ra_download_take(r, &client, "../etc/passwd", &got, &len, &err),
                     SERTEL_ERR_NOTFOUND);
    assert_int_equal(ra_download_take(r, &client, id, &got, &len, &err), SERTEL_OK);
    assert_int_equal(len, sizeof(pdf));
    assert_memory_equal(got, pdf, sizeof(pdf));
    free(got);
    got = NULL;
    assert_int_equal(ra_download_take(r, &client, id, &got, &len, &err), SERTEL_ERR_STATE);
    assert_null(got);
    assert_int_equal(ra_download_take(r, &other, id, &got, &len, &err), SERTEL_ERR_NOTFOUND);
    /* The content is gone from the store, the mark stays. */
    assert_int_equal(count(r,
                           "SELECT count(*) FROM signed_downloads WHERE doc_id = ? AND content IS "
                           "NULL AND downloaded_at IS NOT NULL",
                           id, 0),
                     1);
    assert_int_equal(audit_count(r, AUDIT_DOWNLOAD_TAKEN), 1);

    /* Retention: past it, both rows go (audited once, naming them) and both ids are unknown. */
    assert_int_equal(ra_download_purge(r, (int64_t)time(NULL), &n, &err), SERTEL_OK);
    assert_int_equal(n, 0);
    assert_int_equal(ra_download_purge(r, (int64_t)time(NULL) + 24 * 3600 + 1, &n, &err),
                     SERTEL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(count0(r, "SELECT count(*) FROM signed_downloads"), 0);
    assert_int_equal(audit_count(r, AUDIT_DOWNLOAD_PURGED), 1);
    assert_int_equal(count(r,
                           "SELECT count(*) FROM audit_log WHERE event = 'download.purged' AND "
                           "details LIKE '%' || ? || '%'",
                           id2, 0),
                     1);
    assert_int_equal(ra_download_take(r, &client, id2, &got, &len, &err), SERTEL_ERR_NOTFOUND);
    assert_int_equal(ra_download_take(r, &client, id, &got, &len, &err), SERTEL_ERR_NOTFOUND);
    ra_close(r);
    check_audit(f);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_session_uses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_expiry_and_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_lockout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_actor_and_revocation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vouched_factor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_download_once, setup, teardown),
    };
    FX_WORKER_MAIN(argc, argv);
    load_data();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
