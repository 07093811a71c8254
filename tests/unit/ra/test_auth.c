/*
 * test_auth.c - the owner's authentication under attack (each case failed
 * on the code before the hardening):
 *   - 20 and 200 wrong passphrases sent at once (threads, one connection
 *     each) lock exactly as 5 and 10 sequential ones;
 *   - one TOTP code and one e-mailed code used by six threads at once are
 *     accepted once;
 *   - fail closed: a store or key-store failure at any point of an attempt
 *     answers "try again later" for right and wrong passphrases alike, and
 *     no key is derived for an attempt that was not counted;
 *   - enrolment of a second factor is counted, refused while locked, and a
 *     re-enrolment needs the current factor or a verifier's reset;
 *   - every order of renewal and revocation: a revoked certificate never
 *     comes back;
 *   - no action without its audit entry (decisions, passphrase creation,
 *     direct revocation) under failure injection;
 *   - the policy table, row by row, against the rules written out again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "ra/totp.h"
#include "util/fault.h"
#include "util/hex.h"

#define PASS "passphrase yang benar"
#define WRONG "passphrase yang salah"

static int64_t person_int(ra *r, const char *col, const char *email)
{
    char sql[256];

    snprintf(sql, sizeof(sql),
             "SELECT s.%s FROM subscribers s JOIN accounts a ON a.id = s.account_id WHERE "
             "a.email = ?",
             col);
    return count(r, sql, email, 0);
}

static void set_conf(struct fx *f, const char *key, const char *value)
{
    char path[4200], cmd[8400];

    snprintf(path, sizeof(path), "%s/sertel.conf", f->home);
    snprintf(cmd, sizeof(cmd), "sed -i 's/^%s = .*/%s = %s/' '%s'", key, key, value, path);
    assert_int_equal(system(cmd), 0);
}

/* --- parallel guesses --- */

struct guess {
    struct fx *f;
    const char *email, *pass, *otp;
    pthread_barrier_t *start;
    int rc;
};

static void *guess_thread(void *arg)
{
    struct guess *g = arg;
    ra *r = NULL;
    ra_signer *sg = NULL;
    sertel_err err = {0};

    g->rc = ra_open(g->f->home, &r, &err);
    pthread_barrier_wait(g->start);
    if (g->rc == SERTEL_OK)
        g->rc = ra_sign_authorize(r, local(), g->email, g->pass, g->otp, &sg, &err);
    ra_signer_free(sg);
    ra_close(r);
    return NULL;
}

/* n threads try pass (and otp) at once; returns how many were authorized. */
static int burst(struct fx *f, const char *email, const char *pass, const char *otp, int n)
{
    pthread_t *t = calloc((size_t)n, sizeof(*t));
    struct guess *g = calloc((size_t)n, sizeof(*g));
    pthread_barrier_t start;
    int i, ok = 0;

    assert_non_null(t);
    assert_non_null(g);
    pthread_barrier_init(&start, NULL, (unsigned)n);
    for (i = 0; i < n; i++) {
        g[i] = (struct guess){f, email, pass, otp, &start, 0};
        assert_int_equal(pthread_create(&t[i], NULL, guess_thread, &g[i]), 0);
    }
    for (i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        if (g[i].rc == SERTEL_OK)
            ok++;
        /* "Try again later" when the write lock stays busy past its timeout (a loaded
         * machine): an answer that counts nothing and derives nothing, never a wrong one. */
        else if (g[i].rc != SERTEL_ERR_DENIED && g[i].rc != SERTEL_ERR_BUSY)
            fail_msg("attempt %d: %d (%s)", i, g[i].rc, sertel_rc_name(g[i].rc));
    }
    pthread_barrier_destroy(&start);
    free(t);
    free(g);
    return ok;
}

static void expire_lock(struct fx *f, const char *email)
{
    ra *r = NULL;
    sertel_err err = {0};

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(store_execf(ca_get0_store(ra_get0_ca(r)), &err,
                                 "UPDATE subscribers SET locked_until = 0 WHERE account_id = "
                                 "(SELECT id FROM accounts WHERE email = ?)",
                                 "t", email),
                     SERTEL_OK);
    ra_close(r);
}

static void lock_state(struct fx *f, const char *email, int64_t st[3])
{
    ra *r = NULL;
    sertel_err err = {0};

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    st[0] = person_int(r, "failed_attempts", email);
    st[1] = person_int(r, "locked_until", email) > (int64_t)time(NULL);
    st[2] = person_int(r, "hard_locked", email);
    ra_close(r);
}

static void test_parallel_guesses(void **state)
{
    struct fx *f = *state;
    char seq[64], par[64];
    int64_t a[3], b[3];
    int i;

    issue_for(f, seq, sizeof(seq), PASS);
    issue_for(f, par, sizeof(par), PASS);
    for (i = 0; i < 5; i++)
        assert_int_equal(burst(f, seq, WRONG, NULL, 1), 0);
    lock_state(f, seq, a);
    assert_int_equal(a[0], 5);
    assert_int_equal(a[1], 1);
    assert_int_equal(a[2], 0);
    assert_int_equal(burst(f, par, WRONG, NULL, 20), 0);
    lock_state(f, par, b);
    assert_memory_equal(a, b, sizeof(a)); /* 20 at once lock as 5 in a row */
    assert_int_equal(burst(f, par, PASS, NULL, 1),
                     0); /* the right one is refused during the lock */
    lock_state(f, par, b);
    assert_int_equal(b[0], 5); /* ...and not counted */

    /* The 30 minutes pass: five more in a row, or 200 at once, lock for good. */
    expire_lock(f, seq);
    expire_lock(f, par);
    for (i = 0; i < 5; i++)
        assert_int_equal(burst(f, seq, WRONG, NULL, 1), 0);
    lock_state(f, seq, a);
    assert_int_equal(a[0], 10);
    assert_int_equal(a[2], 1);
    assert_int_equal(burst(f, par, WRONG, NULL, 200), 0);
    lock_state(f, par, b);
    assert_int_equal(b[0], a[0]);
    assert_int_equal(b[2], 1);
    check_audit(f);
}

/* --- single-use codes --- */

static void test_parallel_codes(void **state)
{
    struct fx *f = *state;
    char email[64], code[9], uri[TOTP_URI_MAX], tok[2 * RA_TOKEN_BYTES + 1], *p, b32[64];
    unsigned char secret[64], md[32];
    size_t slen = 0;
    ra *r = NULL;
    sertel_err err = {0};
    uint64_t now;

    issue_for(f, email, sizeof(email), PASS);
    /* An e-mailed code, known to the test by planting its token as ra_email_otp_send does. */
    set_conf(f, "second_factor", "email");
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    memcpy(code, "12345678", 9);
    snprintf(tok, sizeof(tok), "%lld:%s",
             (long long)count(r, "SELECT id FROM accounts WHERE email = ?", email, 0), code);
    EVP_Digest(tok, strlen(tok), md, NULL, EVP_sha256(), NULL);
    hex_encode(md, sizeof(md), tok);
    EVP_Digest(tok, strlen(tok), md, NULL, EVP_sha256(), NULL);
    hex_encode(md, sizeof(md), tok);
    assert_int_equal(store_execf(ca_get0_store(ra_get0_ca(r)), &err,
                                 "INSERT INTO tokens (hash, purpose, account_id, expires_at, "
                                 "created_at) SELECT ?, 'email_otp', id, ?, ? FROM accounts WHERE "
                                 "email = ?",
                                 "tiit", tok, (int64_t)time(NULL) + 300, (int64_t)time(NULL),
                                 email),
                     SERTEL_OK);
    ra_close(r);
    assert_int_equal(burst(f, email, PASS, code, 6), 1);

    /* A TOTP code: enrol, then six threads with the next step's code. */
    set_conf(f, "second_factor", "off");
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(ra_unlock(r, local(), email, &err), SERTEL_OK); /* the replays counted */
    assert_int_equal(ra_totp_enroll(r, local(), email, PASS, NULL, uri, sizeof(uri), &err),
                     SERTEL_OK);
    ra_close(r);
    p = strstr(uri, "secret=");
    assert_non_null(p);
    snprintf(b32, sizeof(b32), "%.*s", (int)strcspn(p + 7, "&"), p + 7);
    assert_int_equal(totp_base32_decode(b32, secret, sizeof(secret), &slen), SERTEL_OK);
    set_conf(f, "second_factor", "totp");
    now = (uint64_t)time(NULL);
    assert_int_equal(totp_code(secret, slen, now + 30, 6, NULL, code), SERTEL_OK);
    sleep((unsigned)(30 - now % 30)); /* into the next step: that code is current */
    assert_int_equal(burst(f, email, PASS, code, 6), 1);
    check_audit(f);
}

/* --- fail closed --- */

#ifdef SERTEL_FAULT_INJECTION
/* One attempt with the nth call at site failing. Returns the answer; *fired whether it did. */
static int attempt_with_fault(struct fx *f, fault_site site, long n, const char *email,
                              const char *pass, int *fired, long *kdfs)
{
    ra *r = NULL;
    ra_signer *sg = NULL;
    sertel_err err = {0};
    long before;
    int rc;

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    before = atomic_load(&ra_test_kdf_calls);
    fault_arm(site, n);
    rc = ra_sign_authorize(r, local(), email, pass, NULL, &sg, &err);
    *fired = fault_fired(site);
    fault_arm(site, 0);
    *kdfs = atomic_load(&ra_test_kdf_calls) - before;
    if (rc == SERTEL_ERR_BUSY)
        assert_non_null(strstr(err.msg, "try again later"));
    ra_signer_free(sg);
    ra_close(r);
    return rc;
}

static void sweep(struct fx *f, fault_site site, const char *email)
{
    static const char *const passes[2] = {PASS, WRONG};
    int which, fired = 0;
    long n, kdfs;

    for (which = 0; which < 2; which++) {
        for (n = 1; n < 200; n++) {
            int64_t before[3], after[3];
            int64_t authorized, denied;
            ra *r = NULL;
            sertel_err err = {0};
            int rc;

            lock_state(f, email, before);
            assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
            authorized =
                count(r, "SELECT count(*) FROM audit_log WHERE event = ?", "sign.authorized", 0);
            denied = count(r, "SELECT count(*) FROM audit_log WHERE event = ?", "sign.denied", 0);
            ra_close(r);
            rc = attempt_with_fault(f, site, n, email, passes[which], &fired, &kdfs);
            lock_state(f, email, after);
            assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
            if (rc == SERTEL_OK)
                /* No action without its audit entry. */
                assert_int_equal(count(r, "SELECT count(*) FROM audit_log WHERE event = ?",
                                       "sign.authorized", 0),
                                 authorized + 1);
            if (rc == SERTEL_ERR_DENIED)
                assert_int_equal(
                    count(r, "SELECT count(*) FROM audit_log WHERE event = ?", "sign.denied", 0),
                    denied + 1);
            ra_close(r);
            if (fired) {
                /*
                 * A failure anywhere: "try again later", or - when it hit after
                 * the outcome was committed and audited (mirroring the audit
                 * head) - that outcome; never the answer of the other passphrase.
                 */
                if (rc != SERTEL_ERR_BUSY && rc != (which ? SERTEL_ERR_DENIED : SERTEL_OK))
                    fail_msg("%s fault at call %ld (%s passphrase): answer %d",
                             site == FAULT_STORE ? "store" : "key-store", n,
                             which ? "wrong" : "right", rc);
                /*
                 * Never a derivation for an attempt that was not counted: a
                 * wrong passphrase that was tried stays counted; a right one
                 * is counted unless its settlement committed (and was audited)
                 * before the failure.
                 */
                if (kdfs > 0 && which == 1 && after[0] != before[0] + 1)
                    fail_msg("call %ld: a wrong passphrase was tried uncounted", n);
                if (kdfs > 0 && which == 0 && after[0] != before[0] + 1 && after[0] != 0)
                    fail_msg("call %ld: the count is %lld after a right passphrase", n,
                             (long long)after[0]);
                if (kdfs == 0 && after[0] != before[0])
                    fail_msg("call %ld: counted without being tried", n);
            } else {
                assert_int_equal(rc, which ? SERTEL_ERR_DENIED : SERTEL_OK);
                break; /* the attempt ran past every store call */
            }
            /* Start every round from an unlocked owner. */
            assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
            assert_int_equal(ra_unlock(r, local(), email, &err), SERTEL_OK);
            ra_close(r);
        }
        /* Store calls: many; key-store calls: the settlement's audit checkpoint at least. */
        if (n <= (site == FAULT_STORE ? 10 : 1))
            fail_msg("the %s sweep ended at call %ld (%s passphrase)",
                     site == FAULT_STORE ? "store" : "key-store", n, which ? "wrong" : "right");
    }
}

static void test_fail_closed(void **state)
{
    struct fx *f = *state;
    char email[64];

    issue_for(f, email, sizeof(email), PASS);
    sweep(f, FAULT_STORE, email);
    sweep(f, FAULT_KEYSTORE, email);
    check_audit(f);
}
#endif

/* --- enrolment --- */

static void test_enrolment(void **state)
{
    struct fx *f = *state;
    char email[64], uri[TOTP_URI_MAX], code[9], *p, b32[64];
    unsigned char secret[64];
    size_t slen = 0;
    int64_t st[3];
    ra *r = NULL;
    ra_actor verifier, self;
    sertel_err err = {0};
    int i;

    issue_for(f, email, sizeof(email), PASS);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    for (i = 0; i < 5; i++)
        assert_int_equal(ra_totp_enroll(r, local(), email, WRONG, NULL, uri, sizeof(uri), &err),
                         SERTEL_ERR_DENIED);
    ra_close(r);
    lock_state(f, email, st);
    assert_int_equal(st[0], 5); /* counted like signing */
    assert_int_equal(st[1], 1);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(ra_totp_enroll(r, local(), email, PASS, NULL, uri, sizeof(uri), &err),
                     SERTEL_ERR_DENIED); /* locked */
    assert_string_equal(uri, "");
    ra_close(r);
    expire_lock(f, email);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(ra_totp_enroll(r, local(), email, PASS, NULL, uri, sizeof(uri), &err),
                     SERTEL_OK);
    p = strstr(uri, "secret=");
    assert_non_null(p);
    snprintf(b32, sizeof(b32), "%.*s", (int)strcspn(p + 7, "&"), p + 7);
    assert_int_equal(totp_base32_decode(b32, secret, sizeof(secret), &slen), SERTEL_OK);
    /* The passphrase alone does not replace an enrolled authenticator. */
    assert_int_equal(ra_totp_enroll(r, local(), email, PASS, NULL, uri, sizeof(uri), &err),
                     SERTEL_ERR_DENIED);
    assert_int_equal(totp_code(secret, slen, (uint64_t)time(NULL), 6, NULL, code), SERTEL_OK);
    assert_int_equal(ra_totp_enroll(r, local(), email, PASS, code, uri, sizeof(uri), &err),
                     SERTEL_OK);
    /* A verifier of the agency resets it; the owner may not reset their own. */
    assert_int_equal(ra_account_add(r, local(), RA_ROLE_VERIFIER, f->agency, "verif@uji.go.id",
                                    "Verifikator", NULL, &err),
                     SERTEL_OK);
    assert_int_equal(ra_actor_local_as(r, "verif@uji.go.id", &verifier, &err), SERTEL_OK);
    assert_int_equal(ra_actor_local_as(r, email, &self, &err), SERTEL_OK);
    self.local = 0; /* as the API will pass a logged-in owner */
    assert_int_equal(ra_totp_reset(r, &self, email, &err), SERTEL_ERR_DENIED);
    assert_int_equal(ra_totp_reset(r, &verifier, email, &err), SERTEL_OK);
    assert_int_equal(ra_totp_enroll(r, &self, email, PASS, NULL, uri, sizeof(uri), &err),
                     SERTEL_OK);
    /* An owner never enrols, signs or applies for someone else. */
    {
        char other[64];
        ra_signer *sg = NULL;
        ra_close(r);
        issue_for(f, other, sizeof(other), PASS);
        assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
        assert_int_equal(ra_totp_enroll(r, &self, other, PASS, NULL, uri, sizeof(uri), &err),
                         SERTEL_ERR_DENIED);
        assert_int_equal(ra_sign_authorize(r, &self, other, PASS, NULL, &sg, &err),
                         SERTEL_ERR_DENIED);
        assert_null(sg);
        assert_int_equal(ra_apply_renewal(r, &self, other, NULL, &err), SERTEL_ERR_DENIED);
        assert_int_equal(ra_email_otp_send(r, &self, other, &err), SERTEL_ERR_DENIED);
        assert_int_equal(person_int(r, "failed_attempts", other), 0); /* nothing tried */
    }
    assert_int_equal(count(r, "SELECT count(*) FROM audit_log WHERE event = ?", "totp.enrolled", 0),
                     3);
    assert_int_equal(count(r, "SELECT count(*) FROM audit_log WHERE event = ?", "totp.reset", 0),
                     1);
    ra_close(r);
    check_audit(f);
}

/* --- renewal x revocation --- */

/*
 * Every point at which a revocation can meet a renewal: before it is
 * asked for, while pending, once approved (token mailed), after it
 * completed; the revocation by the owner's application (approved), by a
 * direct revocation, and by keyCompromise (suspended, then approved or
 * rejected).
 */
enum { AT_BEFORE, AT_PENDING, AT_APPROVED, AT_COMPLETED, AT_N };
enum { HOW_APPLICATION, HOW_DIRECT, HOW_COMPROMISE_APPROVED, HOW_COMPROMISE_REJECTED, HOW_N };

static void revoke_now(ra *r, struct fx *f, const char *email, int how)
{
    ra_actor verifier;
    char serial[41], st[16];
    int64_t na, app = 0, acct = count(r, "SELECT id FROM accounts WHERE email = ?", email, 0);
    sertel_err err = {0};
    ra_revocation rv = {CA_REASON_AFFILIATION_CHANGED, 0, "pindah instansi"};

    (void)f;
    assert_int_equal(ra_actor_local_as(r, "verif@uji.go.id", &verifier, &err), SERTEL_OK);
    assert_int_equal(ra_current_cert(r, acct, serial, st, &na, &err), SERTEL_OK);
    if (how == HOW_DIRECT) {
        assert_int_equal(ra_cert_revoke(r, &verifier, serial, &rv, &err), SERTEL_OK);
        return;
    }
    if (how != HOW_APPLICATION) {
        rv.reason = CA_REASON_KEY_COMPROMISE;
        rv.invalidity_date = (int64_t)time(NULL);
    }
    if (ra_apply_revocation(r, local(), email, &rv, &app, &err) != SERTEL_OK)
        fail_msg("apply revocation: %s", err.msg);
    assert_int_equal(
        ra_review_decide(r, &verifier, app, how == HOW_COMPROMISE_REJECTED ? RA_REJECT : RA_APPROVE,
                         how == HOW_COMPROMISE_REJECTED ? "bukan kompromi" : NULL, &err),
        SERTEL_OK);
}

static void test_renewal_revocation_orders(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    sertel_err err = {0};
    int at, how;

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(ra_account_add(r, local(), RA_ROLE_VERIFIER, f->agency, "verif@uji.go.id",
                                    "Verifikator", NULL, &err),
                     SERTEL_OK);
    ra_close(r);
    set_conf(f, "renewal_window_days", "3650");
    for (at = 0; at < AT_N; at++) {
        for (how = 0; how < HOW_N; how++) {
            char email[64], token[2 * RA_TOKEN_BYTES + 1] = "", serial[41], st[16], s2[41];
            int64_t acct, app = 0, na, certs_before;
            ra_status status;
            int revoked_before_completion = 0, rc, kept = how == HOW_COMPROMISE_REJECTED;

            acct = issue_for(f, email, sizeof(email), PASS);
            assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
            if (at == AT_BEFORE) {
                revoke_now(r, f, email, how);
                rc = ra_apply_renewal(r, local(), email, &app, &err);
                if (kept)
                    assert_int_equal(rc, SERTEL_OK);
                else
                    assert_int_equal(rc, SERTEL_ERR_STATE); /* nothing to renew */
            } else {
                assert_int_equal(ra_apply_renewal(r, local(), email, &app, &err), SERTEL_OK);
            }
            if (app != 0 && at >= AT_APPROVED) {
                assert_int_equal(ra_review_decide(r, local(), app, RA_APPROVE, NULL, &err),
                                 SERTEL_OK);
                assert_int_equal(store_begin(ca_get0_store(ra_get0_ca(r)), &err), SERTEL_OK);
                assert_int_equal(ra_token_create(r, "passphrase", acct, app, 3600, token, &err),
                                 SERTEL_OK);
                assert_int_equal(ca_txn_commit(ra_get0_ca(r), &err), SERTEL_OK);
            }
            if (at == AT_PENDING || at == AT_APPROVED) {
                /* keyCompromise (suspension) while a renewal is open: allowed, it stops it. */
                revoke_now(r, f, email, how);
                revoked_before_completion = !kept;
            }
            certs_before =
                count(r, "SELECT count(*) FROM certificates WHERE account_id = ?", NULL, acct);
            if (token[0]) {
                rc = ra_passphrase_create(r, local(), token, PASS, s2, &err);
                if (revoked_before_completion)
                    assert_int_not_equal(rc, SERTEL_OK); /* the renewal does not bring it back */
                else
                    assert_int_equal(rc, SERTEL_OK);
            }
            if (at == AT_COMPLETED)
                revoke_now(r, f, email, how); /* revokes the renewed certificate */
            if (revoked_before_completion)
                assert_int_equal(
                    count(r, "SELECT count(*) FROM certificates WHERE account_id = ?", NULL, acct),
                    certs_before);
            assert_int_equal(ra_current_cert(r, acct, serial, st, &na, &err), SERTEL_OK);
            assert_int_equal(ra_status_of_account(r, acct, &status, &err), SERTEL_OK);
            if (strcmp(st, kept ? "valid" : "revoked") != 0)
                fail_msg("revocation %d at step %d: the certificate is %s", how, at, st);
            if (!kept) {
                if (status != RA_STATUS_REVOKE)
                    fail_msg("at %d, how %d: status %s, not REVOKE", at, how,
                             ra_status_name(status));
                assert_int_equal(count(r,
                                       "SELECT count(*) FROM applications WHERE account_id = ? "
                                       "AND state IN ('pending', 'returned', 'approved') AND "
                                       "kind <> 'revocation'",
                                       NULL, acct),
                                 0);
                assert_int_equal(count(r,
                                       "SELECT count(*) FROM tokens WHERE account_id = ? AND "
                                       "purpose = 'passphrase' AND used_at IS NULL",
                                       NULL, acct),
                                 0);
            }
            ra_close(r);
        }
    }
    check_audit(f);
}

/* --- no action without its audit entry --- */

#ifdef SERTEL_FAULT_INJECTION
/* Audit entries and a digest of what the step changes. */
static void snapshot(const char *home, int64_t *entries, char digest[65])
{
    ra *r = NULL;
    store_stmt *s = NULL;
    sertel_err err = {0};
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char h[32];

    assert_int_equal(ra_open(home, &r, &err), SERTEL_OK);
    *entries = count(r, "SELECT count(*) FROM audit_log WHERE seq > ?", NULL, 0);
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    assert_int_equal(store_queryf(ca_get0_store(ra_get0_ca(r)), &s, &err,
                                  "SELECT 'a' || id || state FROM applications UNION ALL SELECT "
                                  "'c' || serial || status FROM certificates UNION ALL SELECT "
                                  "'k' || cert_serial FROM subscriber_keys UNION ALL SELECT 't' || "
                                  "hash || coalesce(used_at, 0) FROM tokens ORDER BY 1",
                                  ""),
                     SERTEL_OK);
    while (store_step(s, NULL) == STORE_ROW)
        EVP_DigestUpdate(md, store_col_text(s, 0), strlen(store_col_text(s, 0)));
    store_finalize(s);
    EVP_DigestFinal_ex(md, h, NULL);
    EVP_MD_CTX_free(md);
    hex_encode(h, sizeof(h), digest);
    ra_close(r);
}

typedef int (*step_fn)(ra *r, void *arg, sertel_err *err);

/* Run step with the nth store call failing, for every n: all or nothing, always audited. */
static void all_or_nothing(struct fx *f, const char *what, step_fn step, void *arg)
{
    char golden[4096], work[4096], cmd[16384], d0[65], d1[65];
    int64_t e0, e1;
    long n;

    snprintf(golden, sizeof(golden), "%s/golden", f->dir);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s' '%s'", golden, f->home, golden);
    assert_int_equal(system(cmd), 0);
    for (n = 1; n < 400; n++) {
        ra *r = NULL;
        sertel_err err = {0};
        int rc, fired;

        snprintf(work, sizeof(work), "%s/work", f->dir);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s' '%s'", work, golden, work);
        assert_int_equal(system(cmd), 0);
        snapshot(work, &e0, d0);
        assert_int_equal(ra_open(work, &r, &err), SERTEL_OK);
        fault_arm(FAULT_STORE, n);
        rc = step(r, arg, &err);
        fired = fault_fired(FAULT_STORE);
        fault_arm(FAULT_STORE, 0);
        ra_close(r);
        snapshot(work, &e1, d1);
        if (rc == SERTEL_OK) {
            assert_string_not_equal(d0, d1);
            if (e1 <= e0)
                fail_msg("%s: changed without an audit entry (fault at %ld)", what, n);
        } else if (strcmp(d0, d1) != 0 || e1 != e0) {
            fail_msg("%s: failed at store call %ld (%s) but left a change behind", what, n,
                     err.msg);
        }
        if (!fired) {
            assert_int_equal(rc, SERTEL_OK);
            break;
        }
    }
    assert_true(n > 3);
}

static int step_approve(ra *r, void *arg, sertel_err *err)
{
    return ra_review_decide(r, local(), *(int64_t *)arg, RA_APPROVE, NULL, err);
}

static int step_passphrase(ra *r, void *arg, sertel_err *err)
{
    char serial[41];
    return ra_passphrase_create(r, local(), (const char *)arg, PASS, serial, err);
}

static int step_revoke(ra *r, void *arg, sertel_err *err)
{
    ra_revocation rv = {CA_REASON_KEY_COMPROMISE, 0, NULL};
    return ra_cert_revoke(r, local(), (const char *)arg, &rv, err);
}

static void test_no_action_without_audit(void **state)
{
    struct fx *f = *state;
    char email[64], token[2 * RA_TOKEN_BYTES + 1], serial[41], st[16];
    int64_t app, acct, na;
    ra *r = NULL;
    sertel_err err = {0};

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    app = new_applicant(f, r, email, sizeof(email));
    ra_close(r);
    all_or_nothing(f, "approval", step_approve, &app);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(ra_review_decide(r, local(), app, RA_APPROVE, NULL, &err), SERTEL_OK);
    acct = count(r, "SELECT id FROM accounts WHERE email = ?", email, 0);
    assert_int_equal(store_begin(ca_get0_store(ra_get0_ca(r)), &err), SERTEL_OK);
    assert_int_equal(ra_token_create(r, "passphrase", acct, app, 3600, token, &err), SERTEL_OK);
    assert_int_equal(ca_txn_commit(ra_get0_ca(r), &err), SERTEL_OK);
    ra_close(r);
    all_or_nothing(f, "passphrase creation", step_passphrase, token);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(ra_passphrase_create(r, local(), token, PASS, serial, &err), SERTEL_OK);
    assert_int_equal(ra_current_cert(r, acct, serial, st, &na, &err), SERTEL_OK);
    ra_close(r);
    all_or_nothing(f, "direct revocation", step_revoke, serial);
}
#endif

/* --- the policy table, written out again --- */

static void test_policy_table(void **state)
{
    ra_actor admin = {1, RA_ROLE_ADMIN, 0, "admin@uji.go.id", 0, 0, ""};
    ra_actor ver = {2, RA_ROLE_VERIFIER, 10, "verif@uji.go.id", 0, 0, ""};
    ra_actor aud = {3, RA_ROLE_AUDITOR, 0, "audit@uji.go.id", 0, 0, ""};
    ra_actor app = {4, RA_ROLE_APPLICANT, 10, "rina@uji.go.id", 0, 0, ""};
    ra_actor cl = {0,     RA_ROLE_CLIENT, 10, "client:cl_1", 0, RA_SCOPE_SIGN | RA_SCOPE_STATUS,
                   "cl_1"};
    ra_actor local_admin;
    const ra_target own = {4, 10}, same_agency = {5, 10}, other_agency = {6, 20},
                    ver_self = {2, 10}, admin_self = {1, 0};
    /* (actor, action, target) -> allowed, from DOMAIN.md and the hardening issue. */
    const struct {
        const ra_actor *by;
        ra_action act;
        const ra_target *t;
        int ok;
    } cases[] = {
        {&admin, RA_ACT_AGENCY_ADD, NULL, 1},
        {&ver, RA_ACT_AGENCY_ADD, NULL, 0},
        {&app, RA_ACT_ACCOUNT_ADD, NULL, 0},
        {NULL, RA_ACT_REGISTER, &same_agency, 1}, /* a person registers themselves */
        {&ver, RA_ACT_REGISTER, &same_agency, 1},
        {&ver, RA_ACT_REGISTER, &other_agency, 0},
        {&aud, RA_ACT_REGISTER, &same_agency, 0},
        {&app, RA_ACT_APPLY, &own, 1},
        {&app, RA_ACT_APPLY, &same_agency, 0}, /* never for another person */
        {&ver, RA_ACT_APPLY, &same_agency, 0},
        {&admin, RA_ACT_APPLY, &same_agency, 0},
        {&local_admin, RA_ACT_APPLY, &same_agency, 1}, /* the CA host, on the owner's behalf */
        {&app, RA_ACT_SIGN, &own, 1},
        {&app, RA_ACT_SIGN, &same_agency, 0},
        {&ver, RA_ACT_SIGN, &same_agency, 0},
        {&admin, RA_ACT_SIGN, &other_agency, 0},
        {&ver, RA_ACT_SIGN, &ver_self, 1}, /* a verifier holding a certificate signs for itself */
        {&app, RA_ACT_FACTOR_ENROLL, &own, 1},
        {&app, RA_ACT_PASSPHRASE_CREATE, &same_agency, 0},
        {NULL, RA_ACT_PASSPHRASE_CREATE, &own, 1}, /* the mailed token, without a login */
        {&ver, RA_ACT_PASSPHRASE_CREATE, &same_agency, 0},
        {&ver, RA_ACT_REVIEW_DECIDE, &same_agency, 1},
        {&ver, RA_ACT_REVIEW_DECIDE, &other_agency, 0},
        {&ver, RA_ACT_REVIEW_DECIDE, &ver_self, 0}, /* not on your own */
        {&admin, RA_ACT_REVIEW_DECIDE, &other_agency, 1},
        {&admin, RA_ACT_REVIEW_DECIDE, &admin_self, 0},
        {&aud, RA_ACT_REVIEW_DECIDE, &same_agency, 0},
        {&app, RA_ACT_REVIEW_DECIDE, &own, 0},
        {&ver, RA_ACT_CERT_REVOKE, &same_agency, 1},
        {&ver, RA_ACT_CERT_REVOKE, &ver_self, 0},
        {&admin, RA_ACT_CERT_REVOKE, &admin_self, 0}, /* an admin may not revoke its own either */
        {&admin, RA_ACT_CERT_REVOKE, &other_agency, 1},
        {&ver, RA_ACT_UNLOCK, &ver_self, 0},
        {&admin, RA_ACT_UNLOCK, &admin_self, 0},
        {&ver, RA_ACT_FACTOR_RESET, &same_agency, 1},
        {&ver, RA_ACT_FACTOR_RESET, &other_agency, 0},
        {&app, RA_ACT_FACTOR_RESET, &own, 0},
        {&app, RA_ACT_APPLICATION_VIEW, &own, 1},
        {&app, RA_ACT_APPLICATION_VIEW, &same_agency, 0},
        {&ver, RA_ACT_APPLICATION_VIEW, &same_agency, 1},
        {&ver, RA_ACT_APPLICATION_VIEW, &other_agency, 0},
        {&aud, RA_ACT_APPLICATION_VIEW, &other_agency, 1},
        {&aud, RA_ACT_AUDIT_VIEW, NULL, 1},
        {&ver, RA_ACT_AUDIT_VIEW, NULL, 0},
        {&app, RA_ACT_DOC_VIEW, &same_agency, 0},
        {&ver, RA_ACT_DOC_VIEW, &same_agency, 1},
        {NULL, RA_ACT_SIGN, &own, 0},
        {NULL, RA_ACT_REVIEW_LIST, NULL, 0},
        /* An agency system: its own agency's people, within its scopes. */
        {&cl, RA_ACT_SIGN, &same_agency, 1},
        {&cl, RA_ACT_SIGN, &other_agency, 0},
        {&cl, RA_ACT_STATUS_VIEW, &same_agency, 1},
        {&cl, RA_ACT_STATUS_VIEW, &other_agency, 0},
        {&cl, RA_ACT_REGISTER, &same_agency, 0}, /* no register scope */
        {&cl, RA_ACT_VERIFY, NULL, 0},           /* no verify scope */
        {&cl, RA_ACT_REVIEW_DECIDE, &same_agency, 0},
        {&cl, RA_ACT_APPLY, &same_agency, 0},
        {&cl, RA_ACT_CLIENT_ADMIN, NULL, 0},
        {&admin, RA_ACT_CLIENT_ADMIN, NULL, 1},
        {&ver, RA_ACT_CLIENT_ADMIN, NULL, 0},
        {NULL, RA_ACT_VERIFY, NULL, 1},
        {&app, RA_ACT_STATUS_VIEW, &own, 1},
        {&app, RA_ACT_STATUS_VIEW, &same_agency, 0},
    };
    size_t i;

    (void)state;
    ra_actor_local_admin(&local_admin);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sertel_err err = {0};
        int rc = ra_policy_check(cases[i].by, cases[i].act, cases[i].t, &err);
        if ((rc == SERTEL_OK) != cases[i].ok)
            fail_msg("case %zu (%s by %s): %s", i, ra_action_name(cases[i].act),
                     cases[i].by ? cases[i].by->role : "public",
                     rc == SERTEL_OK ? "allowed, should be refused" : err.msg);
        if (rc != SERTEL_OK)
            assert_int_equal(rc, SERTEL_ERR_DENIED);
    }
    assert_int_equal(ra_policy_reach(&ver, RA_ACT_REVIEW_LIST), RA_REACH_AGENCY);
    assert_int_equal(ra_policy_reach(&aud, RA_ACT_REVIEW_LIST), RA_REACH_ALL);
    assert_int_equal(ra_policy_reach(&app, RA_ACT_REVIEW_LIST), RA_REACH_NONE);
    assert_int_equal(ra_policy_reach(&app, RA_ACT_DOC_VIEW), RA_REACH_SELF);
    for (i = 0; i < RA_ACT_COUNT; i++)
        assert_string_not_equal(ra_action_name((ra_action)i), "unknown");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_table),
        cmocka_unit_test_setup_teardown(test_parallel_guesses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parallel_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enrolment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_renewal_revocation_orders, setup, teardown),
#ifdef SERTEL_FAULT_INJECTION
        cmocka_unit_test_setup_teardown(test_fail_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_action_without_audit, setup, teardown),
#endif
    };
    FX_WORKER_MAIN(argc, argv);
    load_data();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
