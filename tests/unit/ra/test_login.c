/*
 * test_login.c - people log in and agency systems authenticate:
 *   - the password set at e-mail confirmation opens a session; a wrong one
 *     and an unknown e-mail get one answer; failures are throttled per
 *     e-mail (known or not) and per client address;
 *   - staff log in with their authenticator (a code works once); staff
 *     without one enrol it once, right after the first login;
 *   - sessions end idle, at their absolute limit, at logout (one or all),
 *     and when the password changes; each end is audited; CSRF tokens
 *     belong to their session;
 *   - password reset by a mailed single-use link;
 *   - API clients: a secret shown once and kept as a keyed hash, rotation,
 *     disabling, scopes, and another agency's people invisible to them;
 *   - authenticator secrets of older homes are sealed at open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"
#include "ra/totp.h"

#define PW "kata sandi yang panjang"

/* The newest mail to addr in the outbox: its 64-hex token. */
static void token_for(struct fx *f, const char *addr, char tok[65])
{
    char dir[4200], path[4500], best[4500] = "", line[1024], want[300];
    DIR *d;
    struct dirent *e;
    FILE *fp;

    snprintf(dir, sizeof(dir), "%s/outbox", f->home);
    snprintf(want, sizeof(want), "To: %s\r\n", addr);
    d = opendir(dir);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        int hit = 0;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        fp = fopen(path, "r");
        while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
            if (strcmp(line, want) == 0)
                hit = 1;
        if (fp != NULL)
            fclose(fp);
        if (hit && strcmp(e->d_name, strrchr(best, '/') ? strrchr(best, '/') + 1 : "") > 0)
            snprintf(best, sizeof(best), "%s", path);
    }
    closedir(d);
    assert_true(best[0] != '\0');
    tok[0] = '\0';
    fp = fopen(best, "r");
    assert_non_null(fp);
    while (fgets(line, sizeof(line), fp) != NULL)
        if (strncmp(line, "  ", 2) == 0 && strspn(line + 2, "0123456789abcdef") == 64)
            snprintf(tok, 65, "%.64s", line + 2);
    fclose(fp);
    assert_int_equal(strlen(tok), 64);
}

/* A registered person whose confirmation sets the password PW. */
static void person(struct fx *f, ra *r, const char *email, const char *nik)
{
    ra_registration reg = {f->agency, "Rina Wulandari", nik, email, "Biro Umum", "Analis"};
    char tok[65];
    sertel_err err = {0};

    assert_int_equal(ra_register(r, local(), &reg, NULL, &err), SERTEL_OK);
    token_for(f, email, tok);
    assert_int_equal(ra_email_confirm_password(r, tok, "pendek", &err), SERTEL_ERR_INVALID);
    assert_int_equal(ra_email_confirm_password(r, tok, PW, &err), SERTEL_OK);
}

static int64_t audit_count(ra *r, const char *event)
{
    return count(r, "SELECT count(*) FROM audit_log WHERE event = ?", event, 0);
}

static void test_login_and_throttle(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    ra_login_result lr, lr2;
    sertel_err e1 = {0}, e2 = {0}, err = {0};
    int i;

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    person(f, r, "rina@uji.go.id", "6271015201900001");
    assert_int_equal(ra_login(r, "rina@uji.go.id", PW, NULL, "192.0.2.1", &lr, &err), SERTEL_OK);
    assert_int_equal(strlen(lr.cookie), RA_COOKIE_LEN);
    assert_string_equal(lr.actor.email, "rina@uji.go.id");
    assert_false(lr.factor_enrolment_needed); /* applicants log in with the password */
    /* One answer for a wrong password and an unknown e-mail. */
    assert_int_equal(
        ra_login(r, "rina@uji.go.id", "salah salah salah", NULL, "192.0.2.1", &lr2, &e1),
        SERTEL_ERR_DENIED);
    assert_int_equal(
        ra_login(r, "tidakada@uji.go.id", "salah salah salah", NULL, "192.0.2.1", &lr2, &e2),
        SERTEL_ERR_DENIED);
    assert_string_equal(e1.msg, e2.msg);
    assert_int_equal(lr2.cookie[0], '\0');
    /* Five failures lock the e-mail (also an unknown one), the right password included. */
    for (i = 0; i < 4; i++)
        assert_int_equal(
            ra_login(r, "rina@uji.go.id", "salah salah salah", NULL, "192.0.2.2", &lr2, &err),
            SERTEL_ERR_DENIED);
    assert_int_equal(ra_login(r, "rina@uji.go.id", PW, NULL, "192.0.2.3", &lr2, &e1),
                     SERTEL_ERR_BUSY);
    assert_true(lr2.retry_after > 0);
    for (i = 0; i < 4; i++)
        (void)!ra_login(r, "tidakada@uji.go.id", "x x x x x x x", NULL, "192.0.2.4", &lr2, &err);
    assert_int_equal(ra_login(r, "tidakada@uji.go.id", PW, NULL, "192.0.2.5", &lr2, &e2),
                     SERTEL_ERR_BUSY);
    assert_string_equal(e1.msg, e2.msg); /* a lock says nothing about the account */
    /* An address that fails for many e-mails is locked too. */
    for (i = 0; i < 30; i++) {
        char em[64];
        snprintf(em, sizeof(em), "orang%d@uji.go.id", i);
        (void)!ra_login(r, em, "x x x x x x x", NULL, "198.51.100.9", &lr2, &err);
    }
    assert_int_equal(ra_login(r, "budi@uji.go.id", PW, NULL, "198.51.100.9", &lr2, &err),
                     SERTEL_ERR_BUSY);
    assert_true(audit_count(r, "login.failed") >= 10);
    assert_int_equal(audit_count(r, "login.succeeded"), 1);
    ra_close(r);
    check_audit(f);
}

static void test_sessions(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    ra_login_result a, b;
    ra_session_info si;
    char tok[65], csrf[RA_CSRF_LEN + 1];
    sertel_err err = {0};
    store *st;

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    st = ca_get0_store(ra_get0_ca(r));
    person(f, r, "rina@uji.go.id", "6271015201900001");
    assert_int_equal(ra_login(r, "rina@uji.go.id", PW, NULL, "192.0.2.1", &a, &err), SERTEL_OK);
    assert_int_equal(ra_login(r, "rina@uji.go.id", PW, NULL, "192.0.2.1", &b, &err), SERTEL_OK);
    assert_string_not_equal(a.cookie, b.cookie); /* a new session at every login */
    assert_int_equal(ra_session(r, a.cookie, &si, &err), SERTEL_OK);
    assert_string_equal(si.actor.email, "rina@uji.go.id");
    assert_string_equal(si.csrf, a.csrf);
    {
        /* A session alone does not set a certificate owner's signing authenticator: the staff
         * enrolment is for staff, an owner's goes through ra_totp_enroll with the passphrase. */
        char uri[TOTP_URI_MAX];
        int has = 1;
        assert_int_equal(ra_totp_enroll_staff(r, &si.actor, uri, sizeof(uri), &err),
                         SERTEL_ERR_DENIED);
        assert_string_equal(uri, "");
        assert_int_equal(ra_totp_enrolled(r, si.actor.account_id, &has, &err), SERTEL_OK);
        assert_false(has);
    }
    assert_true(ra_csrf_check(r, a.cookie, a.csrf));
    assert_false(ra_csrf_check(r, a.cookie, b.csrf)); /* another session's token */
    snprintf(csrf, sizeof(csrf), "%s", a.csrf);
    csrf[0] = csrf[0] == 'A' ? 'B' : 'A';
    assert_false(ra_csrf_check(r, a.cookie, csrf));
    assert_false(ra_csrf_check(r, a.cookie, ""));
    assert_int_equal(ra_session(r, "bukan-cookie", &si, &err), SERTEL_ERR_DENIED);
    /* Idle: 31 minutes without use. */
    assert_int_equal(store_execf(st, &err, "UPDATE sessions SET last_seen = last_seen - 1860", ""),
                     SERTEL_OK);
    assert_int_equal(ra_session(r, a.cookie, &si, &err), SERTEL_ERR_DENIED);
    assert_int_equal(ra_session(r, b.cookie, &si, &err), SERTEL_ERR_DENIED);
    assert_int_equal(audit_count(r, "session.expired"), 2);
    /* Absolute: used a minute ago, but logged in 13 hours ago. */
    assert_int_equal(ra_login(r, "rina@uji.go.id", PW, NULL, "192.0.2.1", &a, &err), SERTEL_OK);
    assert_int_equal(
        store_execf(st, &err, "UPDATE sessions SET expires_at = ?", "i", (int64_t)time(NULL) - 1),
        SERTEL_OK);
    assert_int_equal(ra_session(r, a.cookie, &si, &err), SERTEL_ERR_DENIED);
    /* Logout, and logout everywhere. */
    assert_int_equal(ra_login(r, "rina@uji.go.id", PW, NULL, "192.0.2.1", &a, &err), SERTEL_OK);
    assert_int_equal(ra_login(r, "rina@uji.go.id", PW, NULL, "192.0.2.1", &b, &err), SERTEL_OK);
    assert_int_equal(ra_logout(r, a.cookie, 0, &err), SERTEL_OK);
    assert_int_equal(ra_session(r, a.cookie, &si, &err), SERTEL_ERR_DENIED);
    assert_int_equal(ra_session(r, b.cookie, &si, &err), SERTEL_OK);
    assert_int_equal(ra_login(r, "rina@uji.go.id", PW, NULL, "192.0.2.1", &a, &err), SERTEL_OK);
    assert_int_equal(ra_logout(r, b.cookie, 1, &err), SERTEL_OK);
    assert_int_equal(ra_session(r, a.cookie, &si, &err), SERTEL_ERR_DENIED);
    assert_int_equal(audit_count(r, "logout"), 2);
    /* A password reset by the mailed link ends every session; the old password stops. */
    assert_int_equal(ra_login(r, "rina@uji.go.id", PW, NULL, "192.0.2.1", &a, &err), SERTEL_OK);
    assert_int_equal(ra_password_reset_request(r, "rina@uji.go.id", &err), SERTEL_OK);
    assert_int_equal(ra_password_reset_request(r, "tidakada@uji.go.id", &err), SERTEL_OK);
    token_for(f, "rina@uji.go.id", tok);
    assert_int_equal(ra_password_reset(r, tok, "kata sandi yang baru sekali", &err), SERTEL_OK);
    assert_int_equal(ra_password_reset(r, tok, "kata sandi yang lain lagi", &err),
                     SERTEL_ERR_DENIED); /* the link works once */
    assert_int_equal(ra_session(r, a.cookie, &si, &err), SERTEL_ERR_DENIED);
    assert_int_equal(ra_login(r, "rina@uji.go.id", PW, NULL, "192.0.2.6", &a, &err),
                     SERTEL_ERR_DENIED);
    assert_int_equal(
        ra_login(r, "rina@uji.go.id", "kata sandi yang baru sekali", NULL, "192.0.2.6", &a, &err),
        SERTEL_OK);
    assert_int_equal(audit_count(r, "password.changed"), 1);
    ra_close(r);
    check_audit(f);
}

static void test_staff_second_factor(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    ra_login_result lr;
    ra_session_info si;
    char uri[TOTP_URI_MAX], code[9], *p, b32[64];
    unsigned char secret[64];
    size_t slen = 0;
    sertel_err err = {0};
    uint64_t now;

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(ra_account_add(r, local(), RA_ROLE_VERIFIER, f->agency, "verif@uji.go.id",
                                    "Verifikator", NULL, &err),
                     SERTEL_OK);
    assert_int_equal(ra_password_set(r, local(), "verif@uji.go.id", PW, &err), SERTEL_OK);
    /* No authenticator yet: the login says it must be enrolled first. */
    assert_int_equal(ra_login(r, "verif@uji.go.id", PW, NULL, "192.0.2.1", &lr, &err), SERTEL_OK);
    assert_true(lr.factor_enrolment_needed);
    assert_int_equal(ra_session(r, lr.cookie, &si, &err), SERTEL_OK);
    assert_true(si.factor_enrolment_needed);
    assert_int_equal(ra_totp_enroll_staff(r, &si.actor, uri, sizeof(uri), &err), SERTEL_OK);
    {
        char again[TOTP_URI_MAX];
        assert_int_equal(ra_totp_enroll_staff(r, &si.actor, again, sizeof(again), &err),
                         SERTEL_ERR_STATE); /* once: replacing it needs a reset */
    }
    p = strstr(uri, "secret=");
    assert_non_null(p);
    snprintf(b32, sizeof(b32), "%.*s", (int)strcspn(p + 7, "&"), p + 7);
    assert_int_equal(totp_base32_decode(b32, secret, sizeof(secret), &slen), SERTEL_OK);
    /* Now the code is required, and works once. */
    assert_int_equal(ra_login(r, "verif@uji.go.id", PW, NULL, "192.0.2.1", &lr, &err),
                     SERTEL_ERR_INVALID);
    assert_int_equal(ra_login(r, "verif@uji.go.id", PW, "000000", "192.0.2.1", &lr, &err),
                     SERTEL_ERR_DENIED);
    now = (uint64_t)time(NULL);
    assert_int_equal(totp_code(secret, slen, now, 6, NULL, code), SERTEL_OK);
    assert_int_equal(ra_login(r, "verif@uji.go.id", PW, code, "192.0.2.1", &lr, &err), SERTEL_OK);
    assert_false(lr.factor_enrolment_needed);
    assert_int_equal(ra_session(r, lr.cookie, &si, &err), SERTEL_OK);
    assert_true(si.factor);
    assert_int_equal(ra_login(r, "verif@uji.go.id", PW, code, "192.0.2.1", &lr, &err),
                     SERTEL_ERR_DENIED); /* replayed */
    ra_close(r);
    check_audit(f);
}

static void test_clients(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    ra_actor cl, verifier;
    char id[40], secret[RA_CLIENT_SECRET_LEN + 1], old[RA_CLIENT_SECRET_LEN + 1];
    const char *doms[] = {"lain.go.id"};
    int64_t other = 0;
    ra_status st;
    sertel_err err = {0};

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(ra_agency_add(r, local(), "Dinas Lain", doms, 1, &other, &err), SERTEL_OK);
    person(f, r, "rina@uji.go.id", "6271015201900001");
    {
        ra_registration reg = {other,         "Budi Santoso", "3171010101900002", "budi@lain.go.id",
                               "Bagian Umum", "Staf"};
        assert_int_equal(ra_register(r, local(), &reg, NULL, &err), SERTEL_OK);
    }
    assert_int_equal(ra_account_add(r, local(), RA_ROLE_VERIFIER, f->agency, "verif@uji.go.id",
                                    "Verifikator", NULL, &err),
                     SERTEL_OK);
    assert_int_equal(ra_actor_local_as(r, "verif@uji.go.id", &verifier, &err), SERTEL_OK);
    verifier.local = 0;
    /* Only an administrator adds clients. */
    assert_int_equal(
        ra_client_add(r, &verifier, f->agency, "e-Office", RA_SCOPE_STATUS, 0, id, secret, &err),
        SERTEL_ERR_DENIED);
    assert_int_equal(ra_client_add(r, local(), f->agency, "e-Office Uji",
                                   RA_SCOPE_SIGN | RA_SCOPE_STATUS, 0, id, secret, &err),
                     SERTEL_OK);
    assert_int_equal(strncmp(id, "cl_", 3), 0);
    assert_int_equal(strlen(secret), RA_CLIENT_SECRET_LEN);
    /* Only a keyed hash of the secret is stored. */
    assert_int_equal(
        count(r, "SELECT count(*) FROM api_clients WHERE instr(secret_mac, ?) > 0", secret, 0), 0);
    assert_int_equal(ra_client_auth(r, id, secret, &cl, &err), SERTEL_OK);
    assert_string_equal(cl.role, RA_ROLE_CLIENT);
    assert_int_equal(cl.agency_id, f->agency);
    assert_int_equal(cl.scopes, RA_SCOPE_SIGN | RA_SCOPE_STATUS);
    assert_int_equal(ra_client_auth(r, id, "salah", &cl, &err), SERTEL_ERR_DENIED);
    assert_int_equal(ra_client_auth(r, "cl_tidakada", secret, &cl, &err), SERTEL_ERR_DENIED);
    /* Its own agency's people only: another agency's person looks unregistered. */
    assert_int_equal(ra_client_auth(r, id, secret, &cl, &err), SERTEL_OK);
    assert_int_equal(ra_status_for(r, &cl, "6271015201900001", &st, &err), SERTEL_OK);
    assert_int_equal(st, RA_STATUS_NO_CERTIFICATE);
    assert_int_equal(ra_status_for(r, &cl, "3171010101900002", &st, &err), SERTEL_OK);
    assert_int_equal(st, RA_STATUS_NOT_REGISTERED);
    assert_int_equal(ra_status_for(r, local(), "3171010101900002", &st, &err), SERTEL_OK);
    assert_int_equal(st, RA_STATUS_NO_CERTIFICATE);
    assert_int_equal(ra_status_for(r, &cl, "12345", &st, &err), SERTEL_ERR_INVALID);
    /* Rotation: the old secret stops at once. */
    memcpy(old, secret, sizeof(old));
    assert_int_equal(ra_client_rotate(r, local(), id, secret, &err), SERTEL_OK);
    assert_string_not_equal(old, secret);
    assert_int_equal(ra_client_auth(r, id, old, &cl, &err), SERTEL_ERR_DENIED);
    assert_int_equal(ra_client_auth(r, id, secret, &cl, &err), SERTEL_OK);
    assert_int_equal(ra_client_disable(r, local(), id, &err), SERTEL_OK);
    assert_int_equal(ra_client_auth(r, id, secret, &cl, &err), SERTEL_ERR_DENIED);
    assert_int_equal(ra_client_rotate(r, local(), id, secret, &err), SERTEL_ERR_NOTFOUND);
    assert_int_equal(audit_count(r, "client.created"), 1);
    assert_int_equal(audit_count(r, "client.rotated"), 1);
    assert_int_equal(audit_count(r, "client.disabled"), 1);
    ra_close(r);
    check_audit(f);
}

/* Homes before schema 6 kept authenticator secrets in clear: sealed at open. */
static void test_legacy_totp_sealed(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    char email[64];
    int64_t acct;
    sertel_err err = {0};
    static const unsigned char plain[20] = "12345678901234567890";

    acct = issue_for(f, email, sizeof(email), "passphrase yang benar");
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(store_execf(ca_get0_store(ra_get0_ca(r)), &err,
                                 "UPDATE subscribers SET totp_secret = ? WHERE account_id = ?",
                                 "bi", plain, sizeof(plain), acct),
                     SERTEL_OK);
    ra_close(r);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(count(r,
                           "SELECT count(*) FROM subscribers WHERE totp_secret IS NOT NULL AND "
                           "account_id > ?",
                           NULL, 0),
                     0);
    assert_int_equal(count(r,
                           "SELECT count(*) FROM accounts WHERE totp_box IS NOT NULL AND "
                           "instr(totp_box, ?) = 0",
                           "12345678901234567890", 0),
                     1);
    assert_int_equal(count(r, "SELECT count(*) FROM audit_log WHERE event = ?", "totp.sealed", 0),
                     1);
    {
        /* The sealed secret still checks codes. */
        char code[9];
        int ok = 0;
        assert_int_equal(totp_code(plain, sizeof(plain), (uint64_t)time(NULL), 6, NULL, code),
                         SERTEL_OK);
        assert_int_equal(ca_txn_begin(ra_get0_ca(r), &err), SERTEL_OK);
        assert_int_equal(ra_totp_use(r, acct, code, &ok, &err), SERTEL_OK);
        assert_true(ok);
        assert_int_equal(ca_txn_commit(ra_get0_ca(r), &err), SERTEL_OK);
    }
    ra_close(r);
    check_audit(f);
}

int main(int argc, char **argv)
{
    FX_WORKER_MAIN(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_login_and_throttle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_staff_second_factor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_legacy_totp_sealed, setup, teardown),
    };
    load_data();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
