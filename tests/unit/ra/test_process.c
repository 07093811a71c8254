/*
 * test_process.c - the registration authority's calls the HTTP API adds
 * for people acting for themselves (issue 12):
 *   - a data update (new unit or position) is applied for, decided like a
 *     renewal, and issues a certificate with the new data while the old
 *     one is revoked (affiliationChanged); refused without a certificate
 *     in force, when nothing changes, when another application is open;
 *     cancelled by a revocation; never returned for revision;
 *   - issuance from open files: an oversized file is refused from its size
 *     (nothing read, nothing stored), a pipe is refused, good files apply;
 *   - revocation in the owner's words (ra_apply_revocation_choice): each
 *     choice's RFC 5280 reason, a choice that suspends at once needs
 *     confirmation, dates only where they belong;
 *   - the passphrase created with the mailed token alone, without logging
 *     in; a logged-in other account is refused and the token survives;
 *   - a password changed with the current one; wrong current passwords
 *     are counted and lock; every session ends;
 *   - listing one's own applications, a verifier's agency listing, and an
 *     application's history, step by step;
 *   - the public facts of a signed document (name, pages, signer, agency,
 *     the certificate's status now).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

#define PASS "passphrase yang benar"

/* The account as its own logged-in session would act. */
static ra_actor self_of(ra *r, const char *email)
{
    ra_actor a;
    sertel_err err = {0};

    assert_int_equal(ra_actor_local_as(r, email, &a, &err), SERTEL_OK);
    a.local = 0; /* not vouched for by the CA host: the account itself */
    return a;
}

/* The newest 64-hex token mailed to addr. */
static void mailed_token(struct fx *f, const char *addr, char tok[65])
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

static int64_t app_count(ra *r, const char *kind)
{
    return count(r, "SELECT count(*) FROM applications WHERE kind = ?", kind, 0);
}

/* The steps of an application's history, as "event/state" words separated by spaces. */
struct steps {
    char words[512];
    char last_actor[256];
};

static int collect_step(const ra_app_step *s, void *arg)
{
    struct steps *st = arg;
    size_t n = strlen(st->words);

    snprintf(st->words + n, sizeof(st->words) - n, "%s%s/%s", n ? " " : "", s->event, s->state);
    snprintf(st->last_actor, sizeof(st->last_actor), "%s", s->actor);
    return 0;
}

static void history(ra *r, const ra_actor *by, int64_t id, struct steps *out)
{
    sertel_err err = {0};

    memset(out, 0, sizeof(*out));
    if (ra_application_history(r, by, id, collect_step, out, &err) != SERTEL_OK)
        fail_msg("history: %s", err.msg);
}

static void test_update(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    ra_actor me, admin;
    char email[64], other[64], tok[65], serial[41], old_serial[41];
    int64_t app = 0, app2 = 0;
    ca_cert_record rec;
    ra_update u = {"Biro Hukum", "Kepala Bagian", "SK mutasi 12/2026"};
    ra_update same = {"Biro Uji", "Analis", NULL};
    ra_revocation rv = {CA_REASON_CESSATION_OF_OPERATION, 0, NULL};
    struct steps st;
    sertel_err err = {0};
    X509 *x = NULL;
    const unsigned char *p;
    char ou[128];

    issue_for(f, email, sizeof(email), PASS);
    ra_actor_local_admin(&admin);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    me = self_of(r, email);

    /* Nothing to change, nothing given: refused, nothing recorded. */
    assert_int_equal(ra_apply_update(r, &me, email, &same, &app, &err), SERTEL_ERR_INVALID);
    {
        ra_update none = {NULL, "", NULL};
        assert_int_equal(ra_apply_update(r, &me, email, &none, &app, &err), SERTEL_ERR_INVALID);
    }
    {
        ra_update ctrl = {"Biro\x01Hukum", NULL, NULL};
        assert_int_equal(ra_apply_update(r, &me, email, &ctrl, &app, &err), SERTEL_ERR_INVALID);
    }
    assert_int_equal(app_count(r, "update"), 0);

    /* Someone without a certificate in force cannot update one. */
    assert_int_equal(new_applicant(f, r, other, sizeof(other)) > 0, 1);
    assert_int_equal(ra_apply_update(r, local(), other, &u, &app, &err), SERTEL_ERR_STATE);

    /* Another person may not apply for me. */
    {
        ra_actor them = self_of(r, other);
        assert_int_equal(ra_apply_update(r, &them, email, &u, &app, &err), SERTEL_ERR_DENIED);
    }

    assert_int_equal(ra_person_cert(r, &me, email, &rec, &err), SERTEL_OK);
    snprintf(old_serial, sizeof(old_serial), "%s", rec.serial);
    ca_cert_record_clear(&rec);

    if (ra_apply_update(r, &me, email, &u, &app, &err) != SERTEL_OK)
        fail_msg("update: %s", err.msg);
    /* One open application at a time. */
    assert_int_equal(ra_apply_update(r, &me, email, &u, &app2, &err), SERTEL_ERR_STATE);
    assert_int_equal(ra_apply_renewal(r, &me, email, &app2, &err), SERTEL_ERR_STATE);
    /* Decided like a renewal: never returned for revision. */
    assert_int_equal(ra_review_decide(r, &admin, app, RA_RETURN, "kurang SK", &err),
                     SERTEL_ERR_INVALID);
    assert_int_equal(ra_review_decide(r, &admin, app, RA_APPROVE, NULL, &err), SERTEL_OK);
    /* The registered data change only when the new certificate is issued. */
    assert_int_equal(count(r, "SELECT count(*) FROM subscribers WHERE unit = ?", "Biro Hukum", 0),
                     0);
    mailed_token(f, email, tok);
    if (ra_passphrase_create(r, &me, tok, PASS, serial, &err) != SERTEL_OK)
        fail_msg("passphrase: %s", err.msg);
    assert_string_not_equal(serial, old_serial);
    assert_int_equal(count(r, "SELECT count(*) FROM subscribers WHERE unit = ?", "Biro Hukum", 0),
                     1);
    assert_int_equal(
        count(r, "SELECT count(*) FROM subscribers WHERE position = ?", "Kepala Bagian", 0), 1);
    /* The new certificate carries the new unit; the old one is revoked affiliationChanged. */
    assert_int_equal(ca_cert_get(ra_get0_ca(r), serial, &rec, &err), SERTEL_OK);
    p = rec.der;
    x = d2i_X509(NULL, &p, (long)rec.der_len);
    assert_non_null(x);
    assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_organizationalUnitName, ou,
                                          sizeof(ou)) > 0);
    assert_string_equal(ou, "Biro Hukum");
    X509_free(x);
    ca_cert_record_clear(&rec);
    assert_int_equal(ca_cert_get(ra_get0_ca(r), old_serial, &rec, &err), SERTEL_OK);
    assert_string_equal(rec.status, "revoked");
    assert_int_equal(rec.revocation_reason, CA_REASON_AFFILIATION_CHANGED);
    ca_cert_record_clear(&rec);
    assert_int_equal(
        count(r, "SELECT count(*) FROM subscriber_keys WHERE cert_serial = ?", old_serial, 0), 0);
    history(r, &me, app, &st);
    assert_string_equal(st.words, "submitted/pending approved/approved completed/completed");
    assert_string_equal(st.last_actor, email);

    /* A revocation cancels an update in progress, and voids its passphrase link. */
    u.unit = "Biro Umum";
    assert_int_equal(ra_apply_update(r, &me, email, &u, &app2, &err), SERTEL_OK);
    assert_int_equal(ra_review_decide(r, &admin, app2, RA_APPROVE, NULL, &err), SERTEL_OK);
    mailed_token(f, email, tok);
    assert_int_equal(ra_cert_revoke(r, &admin, serial, &rv, &err), SERTEL_OK);
    history(r, &me, app2, &st);
    assert_string_equal(st.words, "submitted/pending approved/approved cancelled/cancelled");
    assert_int_equal(ra_passphrase_create(r, &me, tok, PASS, serial, &err), SERTEL_ERR_DENIED);
    ra_close(r);
    check_audit(f);
}

static int open_data(const char *name)
{
    char p[4096];
    int fd;

    snprintf(p, sizeof(p), "%s/%s", getenv("SERTEL_TEST_DATA"), name);
    fd = open(p, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

static size_t entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void test_issuance_from_files(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    ra_registration reg = {f->agency,        "Rina Wulandari", "6271015201900001",
                           "rina@uji.go.id", "Biro Umum",      "Analis"};
    ra_actor me;
    char big[4096], uploads[4200];
    int64_t acct = 0, app = 0;
    int lfd, kfd, bfd, pfd[2];
    FILE *fp;
    sertel_err err = {0};

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(ra_register(r, local(), &reg, &acct, &err), SERTEL_OK);
    assert_int_equal(store_execf(ca_get0_store(ra_get0_ca(r)), &err,
                                 "UPDATE subscribers SET email_confirmed_at = 1", ""),
                     SERTEL_OK);
    me = self_of(r, "rina@uji.go.id");
    snprintf(uploads, sizeof(uploads), "%s/uploads", f->home);

    /* A letter one byte over [ra] upload_max (5 MiB): refused from its size alone. */
    snprintf(big, sizeof(big), "%s/big.pdf", f->dir);
    fp = fopen(big, "wb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, (long)UPLOAD_DEFAULT_MAX, SEEK_SET), 0);
    fputc('x', fp);
    fclose(fp);
    bfd = open(big, O_RDONLY);
    kfd = open_data("ktp.jpg");
    assert_int_equal(ra_apply_issuance_fd(r, &me, "rina@uji.go.id", bfd, kfd, &app, &err),
                     SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "more than the limit"));
    close(bfd);

    /* Not a regular file: refused. */
    assert_int_equal(pipe(pfd), 0);
    assert_int_equal(ra_apply_issuance_fd(r, &me, "rina@uji.go.id", pfd[0], kfd, &app, &err),
                     SERTEL_ERR_INVALID);
    close(pfd[0]);
    close(pfd[1]);

    /* The e-KTP where the letter belongs: the same content checks as from memory. */
    lfd = open_data("ktp.jpg");
    assert_int_equal(ra_apply_issuance_fd(r, &me, "rina@uji.go.id", lfd, kfd, &app, &err),
                     SERTEL_ERR_INVALID);
    close(lfd);
    assert_int_equal(app_count(r, "issuance"), 0);
    assert_int_equal(entries(uploads), 0);

    /* An empty file says it is empty. */
    snprintf(big, sizeof(big), "%s/empty.pdf", f->dir);
    fp = fopen(big, "wb");
    assert_non_null(fp);
    fclose(fp);
    bfd = open(big, O_RDONLY);
    assert_int_equal(ra_apply_issuance_fd(r, &me, "rina@uji.go.id", bfd, kfd, &app, &err),
                     SERTEL_ERR_INVALID);
    close(bfd);

    lfd = open_data("letter.pdf");
    if (ra_apply_issuance_fd(r, &me, "rina@uji.go.id", lfd, kfd, &app, &err) != SERTEL_OK)
        fail_msg("apply: %s", err.msg);
    close(lfd);
    close(kfd);
    assert_true(app > 0);
    assert_int_equal(app_count(r, "issuance"), 1);
    assert_true(entries(uploads) > 0);
    ra_close(r);
    check_audit(f);
}

static void test_revocation_choices(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    ra_actor me;
    char email[64];
    int64_t app = 0;
    ra_application a;
    ra_revocation_request q;
    ca_cert_record rec;
    sertel_err err = {0};
    size_t i;

    /* The table: names unique, labels in both languages, keyCompromise always suspends. */
    for (i = 0; ra_revocation_choice_at(i) != NULL; i++) {
        const ra_revocation_choice *c = ra_revocation_choice_at(i);
        assert_ptr_equal(ra_revocation_choice_find(c->name), c);
        assert_true(c->label_id[0] && c->label_en[0]);
        assert_int_equal(c->suspends, c->reason == CA_REASON_KEY_COMPROMISE);
        assert_true(c->reason != CA_REASON_CERTIFICATE_HOLD);
    }
    assert_int_equal(i, 6);
    assert_int_equal(ra_revocation_choice_find("kunci_hilang")->reason, CA_REASON_KEY_COMPROMISE);
    assert_int_equal(ra_revocation_choice_find("data_berubah")->reason,
                     CA_REASON_AFFILIATION_CHANGED);
    assert_int_equal(ra_revocation_choice_find("tidak_digunakan")->reason,
                     CA_REASON_CESSATION_OF_OPERATION);
    assert_null(ra_revocation_choice_find("keyCompromise"));
    assert_null(ra_revocation_choice_find(NULL));

    issue_for(f, email, sizeof(email), PASS);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    me = self_of(r, email);
    memset(&q, 0, sizeof(q));

    q.choice = "hilang";
    assert_int_equal(ra_apply_revocation_choice(r, &me, email, &q, &app, &err), SERTEL_ERR_INVALID);
    /* Suspends at once: not without the owner's confirmation; nothing changes. */
    q.choice = "dicurigai";
    assert_int_equal(ra_apply_revocation_choice(r, &me, email, &q, &app, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "confirm"));
    assert_int_equal(app_count(r, "revocation"), 0);
    assert_int_equal(ra_person_cert(r, &me, email, &rec, &err), SERTEL_OK);
    assert_string_equal(rec.status, "valid");
    ca_cert_record_clear(&rec);
    /* A date only where one belongs. */
    q.choice = "data_berubah";
    q.invalidity_date = (int64_t)time(NULL) - 60;
    assert_int_equal(ra_apply_revocation_choice(r, &me, email, &q, &app, &err), SERTEL_ERR_INVALID);
    /* A lost key with the time it was lost: suspended now, the choice kept. */
    q.choice = "kunci_hilang";
    q.confirmed = 1;
    assert_int_equal(ra_person_cert(r, &me, email, &rec, &err), SERTEL_OK);
    q.invalidity_date = rec.not_before;
    ca_cert_record_clear(&rec);
    q.note = "laptop dinas hilang di kereta";
    if (ra_apply_revocation_choice(r, &me, email, &q, &app, &err) != SERTEL_OK)
        fail_msg("revocation: %s", err.msg);
    assert_int_equal(ra_person_cert(r, &me, email, &rec, &err), SERTEL_OK);
    assert_string_equal(rec.status, "revoked");
    assert_int_equal(rec.revocation_reason, CA_REASON_CERTIFICATE_HOLD);
    ca_cert_record_clear(&rec);
    assert_int_equal(ra_application_get(r, &me, app, &a, &err), SERTEL_OK);
    assert_string_equal(a.kind, "revocation");
    assert_string_equal(a.reason_choice, "kunci_hilang");
    assert_int_equal(a.reason, CA_REASON_KEY_COMPROMISE);
    assert_int_equal(a.invalidity_date, q.invalidity_date);
    assert_string_equal(a.note, "laptop dinas hilang di kereta");
    ra_close(r);
    check_audit(f);
}

static void test_passphrase_by_token(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    ra_actor admin, other;
    char email[64], email2[64], tok[65], serial[41] = "";
    int64_t app;
    sertel_err err = {0};

    ra_actor_local_admin(&admin);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    app = new_applicant(f, r, email, sizeof(email));
    new_applicant(f, r, email2, sizeof(email2));
    other = self_of(r, email2);
    assert_int_equal(ra_review_decide(r, &admin, app, RA_APPROVE, NULL, &err), SERTEL_OK);
    mailed_token(f, email, tok);
    /* Someone else logged in may not use it, and the refusal does not spend it. */
    assert_int_equal(ra_passphrase_create(r, &other, tok, PASS, serial, &err), SERTEL_ERR_DENIED);
    /* The token alone (the link in the mail, not logged in). */
    if (ra_passphrase_create(r, NULL, tok, PASS, serial, &err) != SERTEL_OK)
        fail_msg("passphrase by token: %s", err.msg);
    assert_true(strlen(serial) > 0);
    /* Once only. */
    assert_int_equal(ra_passphrase_create(r, NULL, tok, PASS, serial, &err), SERTEL_ERR_DENIED);
    assert_int_equal(count(r,
                           "SELECT count(*) FROM audit_log WHERE event = 'key.created' AND actor = "
                           "? AND details LIKE '%token link%'",
                           email, 0),
                     1);
    /* A wrong token without login: refused like any other. */
    assert_int_equal(ra_passphrase_create(r, NULL, "00", PASS, serial, &err), SERTEL_ERR_DENIED);
    ra_close(r);
    check_audit(f);
}

static void test_password_change(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    ra_actor me, admin;
    ra_login_result lr;
    ra_session_info si;
    char email[64];
    sertel_err err = {0};
    int i;

    ra_actor_local_admin(&admin);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    new_applicant(f, r, email, sizeof(email));
    assert_int_equal(ra_password_set(r, &admin, email, "kata sandi pertama", &err), SERTEL_OK);
    me = self_of(r, email);
    assert_int_equal(ra_login(r, email, "kata sandi pertama", NULL, "192.0.2.1", &lr, &err),
                     SERTEL_OK);
    /* Only the account itself, logged in. */
    assert_int_equal(ra_password_change(r, &admin, "kata sandi pertama", "kata sandi kedua", &err),
                     SERTEL_ERR_DENIED);
    /* The new one must be a good password and a new one. */
    assert_int_equal(ra_password_change(r, &me, "kata sandi pertama", "pendek", &err),
                     SERTEL_ERR_INVALID);
    assert_int_equal(ra_password_change(r, &me, "kata sandi pertama", "kata sandi pertama", &err),
                     SERTEL_ERR_INVALID);
    /* A wrong current password is refused and counted, up to a lock. */
    for (i = 0; i < 5; i++)
        assert_int_equal(
            ra_password_change(r, &me, "bukan kata sandinya", "kata sandi kedua", &err),
            SERTEL_ERR_DENIED);
    assert_int_equal(
        count(r, "SELECT count(*) FROM audit_log WHERE event = ?", "password.change_failed", 0), 5);
    assert_int_equal(ra_password_change(r, &me, "kata sandi pertama", "kata sandi kedua", &err),
                     SERTEL_ERR_BUSY);
    /* The lock ends: the right one works, every session ends, the old password stops. */
    assert_int_equal(
        store_execf(ca_get0_store(ra_get0_ca(r)), &err, "UPDATE throttle SET locked_until = 0", ""),
        SERTEL_OK);
    if (ra_password_change(r, &me, "kata sandi pertama", "kata sandi kedua", &err) != SERTEL_OK)
        fail_msg("change: %s", err.msg);
    assert_int_equal(ra_session(r, lr.cookie, &si, &err), SERTEL_ERR_DENIED);
    assert_int_equal(ra_login(r, email, "kata sandi pertama", NULL, "192.0.2.1", &lr, &err),
                     SERTEL_ERR_DENIED);
    assert_int_equal(ra_login(r, email, "kata sandi kedua", NULL, "192.0.2.1", &lr, &err),
                     SERTEL_OK);
    ra_close(r);
    check_audit(f);
}

struct ids {
    int64_t id[16];
    int n;
};

static int collect_id(const ra_application *a, void *arg)
{
    struct ids *x = arg;

    if (x->n < 16)
        x->id[x->n++] = a->id;
    return 0;
}

static void test_lists_and_history(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    ra_actor me, them, admin, ver, ver2, aud;
    char email[64], email2[64];
    const char *doms[] = {"lain.go.id"};
    int64_t a1, a2, ag2 = 0, vid = 0;
    struct ids x;
    struct steps st;
    int more = 0;
    sertel_err err = {0};

    ra_actor_local_admin(&admin);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(ra_agency_add(r, &admin, "Kementerian Lain", doms, 1, &ag2, &err), SERTEL_OK);
    assert_int_equal(
        ra_account_add(r, &admin, RA_ROLE_VERIFIER, f->agency, "ver@uji.go.id", "Ver", &vid, &err),
        SERTEL_OK);
    assert_int_equal(
        ra_account_add(r, &admin, RA_ROLE_VERIFIER, ag2, "ver@lain.go.id", "Ver Lain", &vid, &err),
        SERTEL_OK);
    assert_int_equal(
        ra_account_add(r, &admin, RA_ROLE_AUDITOR, 0, "aud@uji.go.id", "Aud", &vid, &err),
        SERTEL_OK);
    ver = self_of(r, "ver@uji.go.id");
    ver2 = self_of(r, "ver@lain.go.id");
    aud = self_of(r, "aud@uji.go.id");
    a1 = new_applicant(f, r, email, sizeof(email));
    a2 = new_applicant(f, r, email2, sizeof(email2));
    me = self_of(r, email);
    them = self_of(r, email2);

    /* Returned, resubmitted, approved: every step in the history, oldest first. */
    assert_int_equal(ra_review_decide(r, &ver, a1, RA_RETURN, "scan KTP buram", &err), SERTEL_OK);
    assert_int_equal(ra_apply_issuance(r, &me, email, letter, letter_len, ktp, ktp_len, NULL, &err),
                     SERTEL_OK);
    assert_int_equal(ra_review_decide(r, &ver, a1, RA_APPROVE, NULL, &err), SERTEL_OK);
    history(r, &me, a1, &st);
    assert_string_equal(st.words, "submitted/pending returned/returned resubmitted/pending "
                                  "approved/approved");
    assert_string_equal(st.last_actor, "ver@uji.go.id");
    /* Not someone else's history. */
    assert_int_equal(ra_application_history(r, &them, a1, collect_step, &st, &err),
                     SERTEL_ERR_DENIED);
    assert_int_equal(ra_application_history(r, &ver2, a1, collect_step, &st, &err),
                     SERTEL_ERR_DENIED);
    assert_int_equal(ra_application_history(r, &aud, a1, collect_step, &st, &err), SERTEL_OK);
    assert_int_equal(ra_application_history(r, &me, 999, collect_step, &st, &err),
                     SERTEL_ERR_NOTFOUND);

    /* Own: only one's own. */
    memset(&x, 0, sizeof(x));
    assert_int_equal(ra_application_list(r, &me, 1, NULL, 0, 50, collect_id, &x, NULL, &err),
                     SERTEL_OK);
    assert_int_equal(x.n, 1);
    assert_int_equal(x.id[0], a1);
    /* An applicant's widest reach is its own too. */
    memset(&x, 0, sizeof(x));
    assert_int_equal(ra_application_list(r, &them, 0, NULL, 0, 50, collect_id, &x, NULL, &err),
                     SERTEL_OK);
    assert_int_equal(x.n, 1);
    assert_int_equal(x.id[0], a2);
    /* A verifier: its agency's, by state, newest first, paged. */
    memset(&x, 0, sizeof(x));
    assert_int_equal(ra_application_list(r, &ver, 0, NULL, 0, 1, collect_id, &x, &more, &err),
                     SERTEL_OK);
    assert_int_equal(x.n, 1);
    assert_int_equal(x.id[0], a2);
    assert_int_equal(more, 1);
    memset(&x, 0, sizeof(x));
    assert_int_equal(ra_application_list(r, &ver, 0, NULL, a2, 1, collect_id, &x, &more, &err),
                     SERTEL_OK);
    assert_int_equal(x.n, 1);
    assert_int_equal(x.id[0], a1);
    assert_int_equal(more, 0);
    memset(&x, 0, sizeof(x));
    assert_int_equal(ra_application_list(r, &ver, 0, "approved", 0, 50, collect_id, &x, NULL, &err),
                     SERTEL_OK);
    assert_int_equal(x.n, 1);
    assert_int_equal(x.id[0], a1);
    /* ... and none of another agency's; its own list is empty. */
    memset(&x, 0, sizeof(x));
    assert_int_equal(ra_application_list(r, &ver2, 0, NULL, 0, 50, collect_id, &x, NULL, &err),
                     SERTEL_OK);
    assert_int_equal(x.n, 0);
    assert_int_equal(ra_application_list(r, &ver, 1, NULL, 0, 50, collect_id, &x, NULL, &err),
                     SERTEL_OK);
    assert_int_equal(x.n, 0);
    /* Bad input. */
    assert_int_equal(ra_application_list(r, &ver, 0, "bogus", 0, 50, collect_id, &x, NULL, &err),
                     SERTEL_ERR_INVALID);
    assert_int_equal(ra_application_list(r, &ver, 0, NULL, 0, 501, collect_id, &x, NULL, &err),
                     SERTEL_ERR_INVALID);
    assert_int_equal(ra_application_list(r, local(), 1, NULL, 0, 5, collect_id, &x, NULL, &err),
                     SERTEL_ERR_DENIED);
    ra_close(r);
    check_audit(f);
}

static void test_doc_lookup(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    ra_signer *sg = NULL;
    ra_actor admin;
    ra_doc_public d;
    ra_doc_meta meta = {"Nota Dinas 12.pdf", 3};
    ra_doc_meta bad = {"a\nb.pdf", 1};
    ra_revocation rv = {CA_REASON_CERTIFICATE_HOLD, 0, NULL};
    unsigned char md[32] = {1, 2, 3};
    char email[64], id[33], id2[33];
    sertel_err err = {0};

    ra_actor_local_admin(&admin);
    issue_for(f, email, sizeof(email), PASS);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(ra_sign_authorize(r, local(), email, PASS, NULL, &sg, &err), SERTEL_OK);
    assert_int_equal(ra_sign_record_digest_ex(r, sg, md, "B-T", &meta, id, &err), SERTEL_OK);
    /* A name that is not plain text is kept as unknown; the signature is still recorded. */
    assert_int_equal(ra_sign_record_digest_ex(r, sg, md, "B-B", &bad, id2, &err), SERTEL_OK);

    assert_int_equal(ra_doc_lookup(r, id, &d, &err), SERTEL_OK);
    assert_string_equal(d.name, "Nota Dinas 12.pdf");
    assert_int_equal(d.pages, 3);
    assert_string_equal(d.level, "B-T");
    assert_string_equal(d.signer_position, "Analis");
    assert_string_equal(d.signer_unit, "Biro Uji");
    assert_string_equal(d.agency, "Kementerian Uji");
    assert_string_equal(d.cert_status, "valid");
    assert_true(d.signed_at > 0 && d.cert_not_after > d.signed_at);
    assert_int_equal(ra_doc_lookup(r, id2, &d, &err), SERTEL_OK);
    assert_string_equal(d.name, "");

    /* The certificate's status now. */
    assert_int_equal(ra_cert_revoke(r, &admin, d.cert_serial, &rv, &err), SERTEL_OK);
    assert_int_equal(ra_doc_lookup(r, id, &d, &err), SERTEL_OK);
    assert_string_equal(d.cert_status, "suspended");
    assert_string_equal(d.revocation_reason, "certificateHold");

    /* Unknown, malformed: not found alike. */
    assert_int_equal(ra_doc_lookup(r, "00000000000000000000000000000000", &d, &err),
                     SERTEL_ERR_NOTFOUND);
    assert_int_equal(ra_doc_lookup(r, "../../etc/passwd", &d, &err), SERTEL_ERR_NOTFOUND);
    assert_int_equal(ra_doc_lookup(r, "ABCDEF00000000000000000000000000", &d, &err),
                     SERTEL_ERR_NOTFOUND);
    ra_signer_free(sg);
    ra_close(r);
    check_audit(f);
}

/* The update's rows of the state table, and what may be opened beside it. */
static void test_update_states(void **state)
{
    const struct {
        const char *from;
        ra_app_event ev;
        const char *to; /* NULL: refused */
    } rows[] = {
        {"pending", RA_EV_APPROVE, "approved"},    {"pending", RA_EV_REJECT, "rejected"},
        {"pending", RA_EV_RETURN, NULL},           {"pending", RA_EV_WITHDRAW, "withdrawn"},
        {"pending", RA_EV_CANCEL, "cancelled"},    {"pending", RA_EV_COMPLETE, NULL},
        {"approved", RA_EV_COMPLETE, "completed"}, {"approved", RA_EV_CANCEL, "cancelled"},
        {"approved", RA_EV_APPROVE, NULL},         {"approved", RA_EV_WITHDRAW, NULL},
        {"returned", RA_EV_RESUBMIT, NULL},        {"completed", RA_EV_CANCEL, NULL},
        {"pending", RA_EV_SETTLE, NULL},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *to = NULL;
        sertel_err err = {0};
        int rc = ra_app_next_state("update", rows[i].from, rows[i].ev, &to, &err);
        if (rows[i].to == NULL) {
            if (rc == SERTEL_OK)
                fail_msg("row %zu: update %s -> %s allowed", i, rows[i].from, to);
            assert_true(err.msg[0] != '\0');
        } else {
            if (rc != SERTEL_OK)
                fail_msg("row %zu: %s", i, err.msg);
            assert_string_equal(to, rows[i].to);
        }
    }
    assert_int_equal(ra_app_may_open("update", NULL, NULL, NULL), SERTEL_OK);
    assert_int_equal(ra_app_may_open("update", "renewal", "pending", NULL), SERTEL_ERR_STATE);
    assert_int_equal(ra_app_may_open("renewal", "update", "approved", NULL), SERTEL_ERR_STATE);
    assert_int_equal(ra_app_may_open("issuance", "update", "pending", NULL), SERTEL_ERR_STATE);
    assert_int_equal(ra_app_may_open("revocation", "update", "pending", NULL), SERTEL_OK);
    for (i = RA_EV_RESUBMIT; i <= RA_EV_CANCEL; i++)
        assert_true(strlen(ra_app_event_name((ra_app_event)i)) < sizeof(((ra_app_step *)0)->event));
}

int main(int argc, char **argv)
{
    FX_WORKER_MAIN(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_update_states),
        cmocka_unit_test_setup_teardown(test_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issuance_from_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revocation_choices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_passphrase_by_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_password_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lists_and_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doc_lookup, setup, teardown),
    };
    load_data();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
