/*
 * test_lifecycle.c - properties of the registration authority that need
 * more than the CLI can show:
 *   - killing the process during an approval or an issuance leaves the
 *     application fully before or fully after the step (random kill points);
 *   - a stolen sertel.db and the right passphrase do not unlock a key
 *     without the server secret;
 *   - an unknown account and a wrong passphrase take the same time;
 *   - signing is refused while SUSPEND or REVOKE.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ra/ra.h"
#include "ra/ra_int.h"
#include "testhome.h"
#include "testutil.h"
#include "util/fs.h"

#include "fixture.h"

static double now_ms(void);

/* Wait until the child says it starts the step, then kill it at a random
 * point of [0, max_us). */
static void kill_at_random(pid_t pid, int ready_fd, int max_us)
{
    int status;
    char c;

    if (read(ready_fd, &c, 1) != 1) {
        /* the child failed before the step */
    }
    usleep((useconds_t)randombytes_uniform((uint32_t)max_us));
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    close(ready_fd);
}

/* How long one step takes here, in microseconds (at least 1000). */
static int calibrate(double ms)
{
    int us = (int)(ms * 1000.0);
    return us < 1000 ? 1000 : us;
}

/* Kill during approvals: each application is pending, or approved with its
 * passphrase token and audit entry; never half. */
static void test_kill_during_approval(void **state)
{
    struct fx *f = *state;
    sertel_err err = {0};
    char email[64];
    int i, before = 0, after = 0, window;
    ra *r0 = NULL;
    ra_actor adm;
    double t0;

    /* Calibrate: one uninterrupted approval. */
    ra_actor_local_admin(&adm);
    assert_int_equal(ra_open(f->home, &r0, &err), SERTEL_OK);
    {
        int64_t a0 = new_applicant(f, r0, email, sizeof(email));
        t0 = now_ms();
        assert_int_equal(ra_review_decide(r0, &adm, a0, RA_APPROVE, NULL, &err), SERTEL_OK);
        window = 2 * calibrate(now_ms() - t0);
    }
    ra_close(r0);
    for (i = 0; i < 24 && !(i >= 16 && before > 0 && after > 0); i++) {
        ra *r = NULL;
        int64_t app;
        pid_t pid;
        int fds[2];

        assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
        app = new_applicant(f, r, email, sizeof(email));
        ra_close(r);
        assert_int_equal(pipe(fds), 0);
        pid = fork();
        if (pid == 0) {
            ra *c = NULL;
            ra_actor admin;
            close(fds[0]);
            ra_actor_local_admin(&admin);
            if (ra_open(f->home, &c, &err) == SERTEL_OK) {
                (void)!write(fds[1], "x", 1);
                (void)!ra_review_decide(c, &admin, app, RA_APPROVE, NULL, &err);
            }
            _exit(0);
        }
        close(fds[1]);
        kill_at_random(pid, fds[0], window);
        assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
        {
            int64_t approved =
                count(r, "SELECT count(*) FROM applications WHERE id = ? AND state = 'approved'",
                      NULL, app);
            int64_t pending =
                count(r, "SELECT count(*) FROM applications WHERE id = ? AND state = 'pending'",
                      NULL, app);
            int64_t tokens = count(r,
                                   "SELECT count(*) FROM tokens WHERE application_id = ? AND "
                                   "purpose = 'passphrase'",
                                   NULL, app);
            assert_int_equal(approved + pending, 1);
            assert_int_equal(tokens, approved);
            before += (int)pending;
            after += (int)approved;
        }
        ra_close(r);
        /* A loaded machine (sanitizers, parallel tests) stretches the step:
         * widen the window while every kill lands before it, narrow it while
         * every kill lands after it. */
        if (after == 0 && before >= 3)
            window *= 2;
        else if (before == 0 && after >= 3 && window > 2000)
            window /= 2;
    }
    print_message("approval killed in a %d us window: %d before the step, %d after\n", window,
                  before, after);
    /* Kill points spread over twice the step's length: both outcomes occur. */
    assert_true(before > 0 && after > 0);
    check_audit(f);
}

/* Kill during passphrase creation (key generation + issuance). */
static void test_kill_during_issuance(void **state)
{
    struct fx *f = *state;
    sertel_err err = {0};
    char email[64];
    int i, before = 0, after = 0, window;
    double t0;

    t0 = now_ms();
    (void)issue_for(f, email, sizeof(email), "kata sandi rahasia");
    window = calibrate(now_ms() - t0); /* includes setup: an upper bound of the step */
    for (i = 0; i < 24 && !(i >= 16 && before > 0 && after > 0); i++) {
        ra *r = NULL;
        ra_actor admin;
        int64_t app, acct;
        char token[2 * RA_TOKEN_BYTES + 1];
        pid_t pid;
        int fds[2];

        ra_actor_local_admin(&admin);
        assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
        app = new_applicant(f, r, email, sizeof(email));
        assert_int_equal(ra_review_decide(r, &admin, app, RA_APPROVE, NULL, &err), SERTEL_OK);
        acct = count(r, "SELECT id FROM accounts WHERE email = ?", email, 0);
        /* A second passphrase token for the same application, known to the test. */
        assert_int_equal(store_begin(ca_get0_store(ra_get0_ca(r)), &err), SERTEL_OK);
        assert_int_equal(ra_token_create(r, "passphrase", acct, app, 3600, token, &err), SERTEL_OK);
        assert_int_equal(ca_txn_commit(ra_get0_ca(r), &err), SERTEL_OK);
        ra_close(r);
        assert_int_equal(pipe(fds), 0);
        pid = fork();
        if (pid == 0) {
            ra *c = NULL;
            char serial[41];
            close(fds[0]);
            if (ra_open(f->home, &c, &err) == SERTEL_OK) {
                (void)!write(fds[1], "x", 1);
                (void)!ra_passphrase_create(c, local(), token, "kata sandi rahasia", serial, &err);
            }
            _exit(0);
        }
        close(fds[1]);
        kill_at_random(pid, fds[0], window);
        assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
        {
            int64_t done =
                count(r, "SELECT count(*) FROM applications WHERE id = ? AND state = 'completed'",
                      NULL, app);
            int64_t certs =
                count(r, "SELECT count(*) FROM certificates WHERE account_id = ?", NULL, acct);
            int64_t keys =
                count(r, "SELECT count(*) FROM subscriber_keys WHERE account_id = ?", NULL, acct);
            int64_t used = count(r,
                                 "SELECT count(*) FROM tokens WHERE account_id = ? AND purpose "
                                 "= 'passphrase' AND used_at IS NOT NULL",
                                 NULL, acct);
            int64_t issued_audit =
                count(r,
                      "SELECT count(*) FROM audit_log WHERE event = 'cert.issued' AND object IN "
                      "(SELECT serial FROM certificates WHERE account_id = ?)",
                      NULL, acct);
            assert_int_equal(certs, done);
            assert_int_equal(keys, done);
            assert_int_equal(used, done);
            assert_int_equal(issued_audit, done);
            before += (int)!done;
            after += (int)done;
        }
        ra_close(r);
        /* A loaded machine (sanitizers, parallel tests) stretches the step:
         * widen the window while every kill lands before it, narrow it while
         * every kill lands after it. */
        if (after == 0 && before >= 3)
            window *= 2;
        else if (before == 0 && after >= 3 && window > 2000)
            window /= 2;
    }
    print_message("issuance killed in a %d us window: %d before the step, %d after\n", window,
                  before, after);
    assert_true(before > 0 && after > 0);
    check_audit(f);
}

/* A copy of sertel.db with the right passphrase but without the server secret. */
static void test_stolen_database(void **state)
{
    struct fx *f = *state;
    char email[64], cmd[16384], thief[4096];
    ra *r = NULL;
    ra_signer *sg = NULL;
    sertel_err err = {0};
    unsigned char other[32];
    FILE *fp;

    issue_for(f, email, sizeof(email), "passphrase yang benar");
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(ra_sign_authorize(r, local(), email, "passphrase yang benar", NULL, &sg, &err),
                     SERTEL_OK);
    ra_signer_free(sg);
    sg = NULL;
    ra_close(r);
    /* The thief has everything but the server secret. */
    snprintf(thief, sizeof(thief), "%s/thief", f->dir);
    snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s'", f->home, thief);
    assert_int_equal(system(cmd), 0);
    randombytes_buf(other, sizeof(other));
    snprintf(cmd, sizeof(cmd), "%s/private/subscriber.secret", thief);
    fp = fopen(cmd, "w");
    fwrite(other, 1, sizeof(other), fp);
    fclose(fp);
    assert_int_equal(ra_open(thief, &r, &err), SERTEL_OK);
    assert_int_equal(ra_sign_authorize(r, local(), email, "passphrase yang benar", NULL, &sg, &err),
                     SERTEL_ERR_DENIED);
    assert_null(sg);
    ra_close(r);
    /* And with the secret file gone, a fresh one is made: still no key. */
    snprintf(cmd, sizeof(cmd), "%s/private/subscriber.secret", thief);
    unlink(cmd);
    assert_int_equal(ra_open(thief, &r, &err), SERTEL_OK);
    assert_int_equal(ra_sign_authorize(r, local(), email, "passphrase yang benar", NULL, &sg, &err),
                     SERTEL_ERR_DENIED);
    ra_close(r);
}

/* The register of signed documents: a row and a doc.signed entry; nothing when the file is gone. */
static void test_sign_record(void **state)
{
    struct fx *f = *state;
    char email[64], path[4096], id[33], id2[33];
    unsigned char md[32];
    ra *r = NULL;
    ra_signer *sg = NULL;
    sertel_err err = {0};
    store_stmt *q = NULL;
    const void *blob;
    size_t blen = 0;
    FILE *fp;

    issue_for(f, email, sizeof(email), "passphrase yang benar");
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(ra_sign_authorize(r, local(), email, "passphrase yang benar", NULL, &sg, &err),
                     SERTEL_OK);
    snprintf(path, sizeof(path), "%s/signed.pdf", f->dir);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs("%PDF-1.7 a signed document\n", fp);
    fclose(fp);
    if (ra_sign_record(r, sg, path, "B-T", id, &err) != SERTEL_OK)
        fail_msg("ra_sign_record: %s", err.msg);
    assert_int_equal(strlen(id), 32);
    assert_int_equal(ra_sign_record(r, sg, path, "B-T", id2, &err), SERTEL_OK);
    assert_string_not_equal(id, id2); /* each signing its own id */
    assert_int_equal(fs_sha256_file(path, md, &err), SERTEL_OK);
    assert_int_equal(store_queryf(r->st, &q, &err,
                                  "SELECT sha256, level FROM signed_documents WHERE id = ?", "t",
                                  id),
                     SERTEL_OK);
    assert_int_equal(store_step(q, &err), STORE_ROW);
    blob = store_col_blob(q, 0, &blen);
    assert_int_equal(blen, 32);
    assert_memory_equal(blob, md, 32);
    assert_string_equal(store_col_text(q, 1), "B-T");
    store_finalize(q);
    q = NULL;
    assert_int_equal(store_queryf(r->st, &q, &err,
                                  "SELECT count(*) FROM audit_log WHERE event = 'doc.signed' AND "
                                  "object = ?",
                                  "t", id),
                     SERTEL_OK);
    assert_int_equal(store_step(q, &err), STORE_ROW);
    assert_int_equal(store_col_int64(q, 0), 1);
    store_finalize(q);
    q = NULL;
    /* A file that is not there: refused, nothing recorded. */
    snprintf(path, sizeof(path), "%s/missing.pdf", f->dir);
    assert_int_equal(ra_sign_record(r, sg, path, "B-T", id, &err), SERTEL_ERR_IO);
    assert_string_equal(id, "");
    assert_int_equal(store_queryf(r->st, &q, &err, "SELECT count(*) FROM signed_documents", ""),
                     SERTEL_OK);
    assert_int_equal(store_step(q, &err), STORE_ROW);
    assert_int_equal(store_col_int64(q, 0), 2);
    store_finalize(q);
    ra_signer_free(sg);
    ra_close(r);
}

double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Unknown account vs wrong passphrase: same answer, same time (medians). */
static void test_timing_unknown_vs_wrong(void **state)
{
    struct fx *f = *state;
    char email[64];
    ra *r = NULL;
    ra_signer *sg = NULL;
    sertel_err e1 = {0}, e2 = {0};
    double tu[9], tw[9], mu, mw;
    int i;

    issue_for(f, email, sizeof(email), "passphrase yang benar");
    assert_int_equal(ra_open(f->home, &r, &e1), SERTEL_OK);
    for (i = 0; i < 9; i++) {
        double t0 = now_ms();
        assert_int_equal(
            ra_sign_authorize(r, local(), "tidak.ada@uji.go.id", "salah", NULL, &sg, &e1),
            SERTEL_ERR_DENIED);
        tu[i] = now_ms() - t0;
        /* Unlock between tries so lockout does not change the path. */
        assert_int_equal(store_execf(ca_get0_store(ra_get0_ca(r)), NULL,
                                     "UPDATE subscribers SET failed_attempts = 0, "
                                     "locked_until = 0, hard_locked = 0",
                                     ""),
                         SERTEL_OK);
        t0 = now_ms();
        assert_int_equal(ra_sign_authorize(r, local(), email, "salah", NULL, &sg, &e2),
                         SERTEL_ERR_DENIED);
        tw[i] = now_ms() - t0;
    }
    assert_string_equal(e1.msg, e2.msg);
    qsort(tu, 9, sizeof(double), cmp_d);
    qsort(tw, 9, sizeof(double), cmp_d);
    mu = tu[4];
    mw = tw[4];
    print_message("median: unknown account %.1f ms, wrong passphrase %.1f ms\n", mu, mw);
    /* The Argon2id work dominates both; a path that skipped it for unknown
     * accounts would be 10-100x faster. Allow 2x for scheduling noise on a
     * loaded machine (parallel tests, sanitizers). */
    assert_true(mu > 0.5 * mw && mw > 0.5 * mu);
    ra_close(r);
}

static void test_no_signing_when_suspended_or_revoked(void **state)
{
    struct fx *f = *state;
    char email[64], serial[41];
    ra *r = NULL;
    ra_signer *sg = NULL;
    ra_actor admin;
    int64_t acct, app = 0;
    sertel_err err = {0};

    acct = issue_for(f, email, sizeof(email), "passphrase yang benar");
    ra_actor_local_admin(&admin);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    {
        char st[16];
        int64_t na;
        assert_int_equal(ra_current_cert(r, acct, serial, st, &na, &err), SERTEL_OK);
    }
    {
        ra_revocation hold = {CA_REASON_CERTIFICATE_HOLD, 0, NULL};
        assert_int_equal(ra_cert_revoke(r, &admin, serial, &hold, &err), SERTEL_OK);
    }
    /* A suspended certificate answers as a wrong passphrase does (no oracle for the guess). */
    assert_int_equal(ra_sign_authorize(r, local(), email, "passphrase yang benar", NULL, &sg, &err),
                     SERTEL_ERR_DENIED);
    assert_non_null(strstr(err.msg, "passphrase salah"));
    assert_int_equal(
        count(r, "SELECT count(*) FROM subscriber_keys WHERE cert_serial = ?", serial, 0),
        1); /* a hold keeps the key */
    {
        ra_revocation kc = {CA_REASON_KEY_COMPROMISE, 0, NULL};
        assert_int_equal(ra_cert_revoke(r, &admin, serial, &kc, &err), SERTEL_OK);
    }
    assert_int_equal(ra_sign_authorize(r, local(), email, "passphrase yang benar", NULL, &sg, &err),
                     SERTEL_ERR_DENIED); /* the key is gone: nothing to unlock */
    assert_int_equal(
        count(r, "SELECT count(*) FROM subscriber_keys WHERE cert_serial = ?", serial, 0), 0);
    assert_int_equal(
        count(r, "SELECT count(*) FROM audit_log WHERE event = 'key.destroyed' AND object = ?",
              serial, 0),
        1);
    {
        ra_revocation un = {CA_REASON_UNSPECIFIED, 0, NULL};
        assert_int_equal(ra_apply_revocation(r, local(), email, &un, &app, &err), SERTEL_ERR_STATE);
    }
    ra_close(r);
    check_audit(f);
}

/* Expiry: ra_notify destroys the keys of expired certificates, audited. */
static void test_expiry_destroys_key(void **state)
{
    struct fx *f = *state;
    char email[64], serial[41];
    ra *r = NULL;
    int64_t acct;
    int sent = 0;
    sertel_err err = {0};

    acct = issue_for(f, email, sizeof(email), "passphrase yang benar");
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    {
        char st[16];
        int64_t na;
        assert_int_equal(ra_current_cert(r, acct, serial, st, &na, &err), SERTEL_OK);
    }
    /* 20 days before expiry: the 30-day reminder goes out once. */
    assert_int_equal(ra_notify(r, time(NULL) + 710 * 86400, &sent, &err), SERTEL_OK);
    assert_int_equal(sent, 1);
    assert_int_equal(ra_notify(r, time(NULL) + 711 * 86400, &sent, &err), SERTEL_OK);
    assert_int_equal(sent, 0);
    assert_int_equal(ra_notify(r, time(NULL) + 725 * 86400, &sent, &err), SERTEL_OK);
    assert_int_equal(sent, 1); /* the 7-day one */
    assert_int_equal(
        count(r, "SELECT count(*) FROM subscriber_keys WHERE cert_serial = ?", serial, 0), 1);
    assert_int_equal(ra_notify(r, time(NULL) + 731 * 86400, &sent, &err), SERTEL_OK);
    assert_int_equal(
        count(r, "SELECT count(*) FROM subscriber_keys WHERE cert_serial = ?", serial, 0), 0);
    assert_int_equal(count(r,
                           "SELECT count(*) FROM audit_log WHERE event = 'key.destroyed' AND "
                           "object = ? AND details LIKE '%expired%'",
                           serial, 0),
                     1);
    ra_close(r);
}

/*
 * ra_apply_issuance parses the uploads in its sandboxed worker, never in
 * the ra's process: a letter the worker lies about is refused with the
 * caller's "impossible verdict" (in-process it would be "not a PDF"), and
 * nothing is recorded; the same ra then takes a real application, and its
 * worker image is another process.
 */
static void test_uploads_in_sandbox(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    ra_registration reg;
    ra_actor admin;
    int64_t acct = 0, app = 0, uploads;
    static const unsigned char lie[] = "LIE: a letter that took over its checker";
    sertel_err err = {0};

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    memset(&reg, 0, sizeof(reg));
    reg.agency_id = f->agency;
    reg.name = "Pegawai Kotak Pasir";
    reg.nik = "6271011201900077";
    reg.email = "pasir@uji.go.id";
    reg.unit = "Biro Uji";
    reg.position = "Analis";
    ra_actor_local_admin(&admin);
    if (ra_register(r, &admin, &reg, &acct, &err) != SERTEL_OK)
        fail_msg("register: %s", err.msg);
    assert_int_equal(store_execf(ca_get0_store(ra_get0_ca(r)), &err,
                                 "UPDATE subscribers SET email_confirmed_at = 1 WHERE "
                                 "account_id = ?",
                                 "i", acct),
                     SERTEL_OK);
    uploads = count(r, "SELECT count(*) FROM uploads WHERE size >= ?", NULL, 0);
    assert_int_equal(ra_apply_issuance(r, local(), "pasir@uji.go.id", lie, sizeof(lie) - 1, ktp,
                                       ktp_len, &app, &err),
                     SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "impossible verdict"));
    assert_int_equal(count(r, "SELECT count(*) FROM applications WHERE account_id = ?", NULL, acct),
                     0);
    assert_int_equal(count(r, "SELECT count(*) FROM uploads WHERE size >= ?", NULL, 0), uploads);
    assert_non_null(r->sb);
    assert_true(sbx_worker_image_pid(r->sb) > 0);
    assert_int_not_equal(sbx_worker_image_pid(r->sb), getpid());
    assert_int_equal(ra_apply_issuance(r, local(), "pasir@uji.go.id", letter, letter_len, ktp,
                                       ktp_len, &app, &err),
                     SERTEL_OK);
    assert_true(app > 0);
    ra_close(r);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kill_during_approval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_during_issuance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stolen_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timing_unknown_vs_wrong, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_signing_when_suspended_or_revoked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_destroys_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uploads_in_sandbox, setup, teardown),
    };
    FX_WORKER_MAIN(argc, argv);
    if (sodium_init() < 0)
        return 1;
    load_data();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
