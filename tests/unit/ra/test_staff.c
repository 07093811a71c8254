/*
 * test_staff.c - what staff read through the library (lib/ra/staff.c):
 *   - the policy rows for agency.view, account.view and
 *     application.documents, and their reach;
 *   - agencies and accounts listed as far as the reach goes (an
 *     administrator and an auditor all, a verifier its agency's, an
 *     applicant itself), filters and paging, an account out of reach
 *     answering like one that does not exist;
 *   - an application's letter and e-KTP scan: the stored bytes and their
 *     type for the agency's verifier and administrators only, each read
 *     audited, and (fault injection) never handed out unrecorded;
 *   - the audit log: entries with exactly the fields their hash covers
 *     (recomputed here from audit.h's formula, independently of audit.c),
 *     the export audited and ending at its signed head;
 *   - the rows as `sertel agency list`, `account list` and `review show`
 *     show them: an agency's people and verifiers, a person's status,
 *     newest certificate and lock, an application's history (its steps)
 *     and documents listed, the audit log filtered and refused to those
 *     who may not read it whole;
 *   - a staff member's login authenticator reset like an owner's;
 *   - masked NIKs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "ra/nik.h"
#include "ra/totp.h"
#include "ra/upload.h"
#include "util/fault.h"
#include "util/hex.h"

/* Two agencies, a person and a verifier in each, an auditor; staff act through the CA host. */
struct world {
    int64_t agency_b;
    int64_t app_a, app_b;   /* the people's issuance applications (letter + e-KTP) */
    int64_t pa, pb, va, vb; /* accounts: person A, person B, verifier A, verifier B */
    int64_t aud;            /* the auditor's account */
    char email_a[64], email_b[64];
};

static int64_t person_in(struct fx *f, ra *r, int64_t agency, const char *email, const char *nik)
{
    ra_registration reg = {agency, "Siti Rahma", nik, email, "Biro Keuangan", "Analis Anggaran"};
    int64_t acct = 0, app = 0;
    sertel_err err = {0};

    (void)f;
    if (ra_register(r, local(), &reg, &acct, &err) != SERTEL_OK)
        fail_msg("register: %s", err.msg);
    assert_int_equal(store_execf(ca_get0_store(ra_get0_ca(r)), &err,
                                 "UPDATE subscribers SET email_confirmed_at = 1 WHERE "
                                 "account_id = ?",
                                 "i", acct),
                     SERTEL_OK);
    if (ra_apply_issuance(r, local(), email, letter, letter_len, ktp, ktp_len, &app, &err) !=
        SERTEL_OK)
        fail_msg("apply: %s", err.msg);
    return app;
}

static void world(struct fx *f, ra *r, struct world *w)
{
    const char *doms[] = {"lain.go.id"};
    sertel_err err = {0};

    memset(w, 0, sizeof(*w));
    assert_int_equal(ra_agency_add(r, local(), "Kementerian Lain", doms, 1, &w->agency_b, &err),
                     SERTEL_OK);
    snprintf(w->email_a, sizeof(w->email_a), "siti@uji.go.id");
    snprintf(w->email_b, sizeof(w->email_b), "siti@lain.go.id");
    w->app_a = person_in(f, r, f->agency, w->email_a, "6271014101900001");
    w->app_b = person_in(f, r, w->agency_b, w->email_b, "6271014101900002");
    w->pa = count(r, "SELECT id FROM accounts WHERE email = ?", w->email_a, 0);
    w->pb = count(r, "SELECT id FROM accounts WHERE email = ?", w->email_b, 0);
    assert_int_equal(ra_account_add(r, local(), RA_ROLE_VERIFIER, f->agency, "verif@uji.go.id",
                                    "Verifikator Uji", &w->va, &err),
                     SERTEL_OK);
    assert_int_equal(ra_account_add(r, local(), RA_ROLE_VERIFIER, w->agency_b, "verif@lain.go.id",
                                    "Verifikator Lain", &w->vb, &err),
                     SERTEL_OK);
    assert_int_equal(ra_account_add(r, local(), RA_ROLE_AUDITOR, 0, "audit@bssn.go.id", "Auditor",
                                    &w->aud, &err),
                     SERTEL_OK);
}

static void as(ra *r, const char *email, ra_actor *out)
{
    sertel_err err = {0};

    assert_int_equal(ra_actor_local_as(r, email, out, &err), SERTEL_OK);
    out->local = 0; /* as the API passes a logged-in account */
}

static void test_policy_rows(void **state)
{
    ra_actor admin = {1, RA_ROLE_ADMIN, 0, "admin@uji.go.id", 0, 0, ""};
    ra_actor ver = {2, RA_ROLE_VERIFIER, 10, "verif@uji.go.id", 0, 0, ""};
    ra_actor aud = {3, RA_ROLE_AUDITOR, 0, "audit@uji.go.id", 0, 0, ""};
    ra_actor app = {4, RA_ROLE_APPLICANT, 10, "rina@uji.go.id", 0, 0, ""};
    ra_actor cl = {0, RA_ROLE_CLIENT, 10, "client:cl_1", 0, 0xf, "cl_1"};
    const ra_target own = {4, 10}, same = {5, 10}, other = {6, 20}, ver_self = {2, 10};
    const struct {
        const ra_actor *by;
        ra_action act;
        const ra_target *t;
        int ok;
    } cases[] = {
        {&admin, RA_ACT_AGENCY_VIEW, &other, 1},
        {&aud, RA_ACT_AGENCY_VIEW, &other, 1},
        {&ver, RA_ACT_AGENCY_VIEW, &same, 1},
        {&ver, RA_ACT_AGENCY_VIEW, &other, 0},
        {&app, RA_ACT_AGENCY_VIEW, &own, 1},
        {&cl, RA_ACT_AGENCY_VIEW, &same, 0}, /* no scope gives it */
        {NULL, RA_ACT_AGENCY_VIEW, &same, 0},
        {&admin, RA_ACT_ACCOUNT_VIEW, &other, 1},
        {&aud, RA_ACT_ACCOUNT_VIEW, &other, 1},
        {&ver, RA_ACT_ACCOUNT_VIEW, &same, 1},
        {&ver, RA_ACT_ACCOUNT_VIEW, &other, 0},
        {&app, RA_ACT_ACCOUNT_VIEW, &own, 1},
        {&app, RA_ACT_ACCOUNT_VIEW, &same, 0},
        {&cl, RA_ACT_ACCOUNT_VIEW, &same, 0},
        {&ver, RA_ACT_APPLICATION_DOCS, &same, 1},
        {&ver, RA_ACT_APPLICATION_DOCS, &ver_self, 1},
        {&ver, RA_ACT_APPLICATION_DOCS, &other, 0},
        {&admin, RA_ACT_APPLICATION_DOCS, &other, 1},
        {&aud, RA_ACT_APPLICATION_DOCS, &other, 0}, /* personal data: not for auditors */
        {&app, RA_ACT_APPLICATION_DOCS, &own, 0},
        {&cl, RA_ACT_APPLICATION_DOCS, &same, 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sertel_err err = {0};
        int rc = ra_policy_check(cases[i].by, cases[i].act, cases[i].t, &err);
        if ((rc == SERTEL_OK) != cases[i].ok)
            fail_msg("case %zu (%s by %s): %s", i, ra_action_name(cases[i].act),
                     cases[i].by ? cases[i].by->role : "public",
                     rc == SERTEL_OK ? "allowed, should be refused" : err.msg);
    }
    assert_int_equal(ra_policy_reach(&ver, RA_ACT_ACCOUNT_VIEW), RA_REACH_AGENCY);
    assert_int_equal(ra_policy_reach(&app, RA_ACT_ACCOUNT_VIEW), RA_REACH_SELF);
    assert_int_equal(ra_policy_reach(&aud, RA_ACT_ACCOUNT_VIEW), RA_REACH_ALL);
    assert_int_equal(ra_policy_reach(&app, RA_ACT_AGENCY_VIEW), RA_REACH_AGENCY);
    assert_int_equal(ra_policy_reach(&aud, RA_ACT_APPLICATION_DOCS), RA_REACH_NONE);
    assert_string_equal(ra_action_name(RA_ACT_APPLICATION_DOCS), "application.documents");
}

/* --- listings --- */

struct seen {
    int64_t ids[64];
    size_t n;
    int64_t stop_after; /* stop the listing after this many (0: never) */
};

static int saw_agency(const ra_agency *a, void *arg)
{
    struct seen *s = arg;

    assert_true(a->ndomains >= 1);
    assert_non_null(a->domains[0]);
    s->ids[s->n++] = a->id;
    return 0;
}

static int saw_account(const ra_account *a, void *arg)
{
    struct seen *s = arg;

    s->ids[s->n++] = a->id;
    return s->stop_after && (int64_t)s->n == s->stop_after;
}

static int has(const struct seen *s, int64_t id)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        if (s->ids[i] == id)
            return 1;
    return 0;
}

static void test_listings(void **state)
{
    struct fx *f = *state;
    struct world w;
    struct seen s;
    ra *r = NULL;
    ra_actor va, pa, aud, client;
    ra_account acc;
    ra_account_filter flt;
    size_t n = 0;
    sertel_err err = {0};

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    world(f, r, &w);
    as(r, "verif@uji.go.id", &va);
    as(r, w.email_a, &pa);
    as(r, "audit@bssn.go.id", &aud);
    memset(&client, 0, sizeof(client));
    snprintf(client.role, sizeof(client.role), "%s", RA_ROLE_CLIENT);
    client.agency_id = f->agency;
    client.scopes = 0xf;

    /* agencies */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ra_agency_list(r, local(), saw_agency, &s, &err), SERTEL_OK);
    assert_int_equal(s.n, 2);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ra_agency_list(r, &aud, saw_agency, &s, &err), SERTEL_OK);
    assert_int_equal(s.n, 2);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ra_agency_list(r, &va, saw_agency, &s, &err), SERTEL_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.ids[0], f->agency);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ra_agency_list(r, &pa, saw_agency, &s, &err), SERTEL_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(ra_agency_list(r, &client, saw_agency, &s, &err), SERTEL_ERR_DENIED);
    assert_int_equal(ra_agency_list(r, NULL, saw_agency, &s, &err), SERTEL_ERR_DENIED);

    /* accounts: as far as the reach goes */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ra_account_list(r, &aud, NULL, saw_account, &s, &n, &err), SERTEL_OK);
    assert_true(has(&s, w.pa) && has(&s, w.pb) && has(&s, w.va) && has(&s, w.vb));
    assert_int_equal(n, s.n);
    memset(&s, 0, sizeof(s));
    assert_int_equal(ra_account_list(r, &va, NULL, saw_account, &s, &n, &err), SERTEL_OK);
    assert_true(has(&s, w.pa) && has(&s, w.va));
    assert_false(has(&s, w.pb) || has(&s, w.vb) || has(&s, w.aud));
    memset(&s, 0, sizeof(s));
    assert_int_equal(ra_account_list(r, &pa, NULL, saw_account, &s, &n, &err), SERTEL_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.ids[0], w.pa);
    assert_int_equal(ra_account_list(r, &client, NULL, saw_account, &s, &n, &err),
                     SERTEL_ERR_DENIED);
    /* filters and paging */
    memset(&s, 0, sizeof(s));
    flt = (ra_account_filter){RA_ROLE_VERIFIER, 0, 0, 0};
    assert_int_equal(ra_account_list(r, local(), &flt, saw_account, &s, &n, &err), SERTEL_OK);
    assert_int_equal(s.n, 2);
    memset(&s, 0, sizeof(s));
    flt = (ra_account_filter){NULL, w.agency_b, 0, 0};
    assert_int_equal(ra_account_list(r, local(), &flt, saw_account, &s, &n, &err), SERTEL_OK);
    assert_int_equal(s.n, 2); /* person B and verifier B */
    assert_true(has(&s, w.pb) && has(&s, w.vb));
    memset(&s, 0, sizeof(s));
    flt = (ra_account_filter){NULL, 0, w.pb, 2};
    assert_int_equal(ra_account_list(r, local(), &flt, saw_account, &s, &n, &err), SERTEL_OK);
    assert_int_equal(n, 2);
    assert_true(s.ids[0] > w.pb && s.ids[1] > s.ids[0]);
    /* a callback that stops the listing */
    memset(&s, 0, sizeof(s));
    s.stop_after = 1;
    assert_int_equal(ra_account_list(r, local(), NULL, saw_account, &s, &n, &err), 1);

    /* one account: out of reach looks like no account */
    assert_int_equal(ra_account_get(r, &va, w.pa, &acc, &err), SERTEL_OK);
    assert_string_equal(acc.email, w.email_a);
    assert_true(acc.person);
    assert_string_equal(acc.nik, "6271014101900001");
    assert_string_equal(acc.unit, "Biro Keuangan");
    assert_false(acc.signing_locked);
    assert_int_equal(ra_account_get(r, &va, w.pb, &acc, &err), SERTEL_ERR_NOTFOUND);
    assert_string_equal(acc.email, "");
    sertel_err e2 = {0};
    assert_int_equal(ra_account_get(r, &va, 999999, &acc, &e2), SERTEL_ERR_NOTFOUND);
    /* the same words (but for the id) for one out of reach and one that does not exist */
    {
        char want[128];
        snprintf(want, sizeof(want), "there is no account #%lld you may see", (long long)w.pb);
        assert_string_equal(err.msg, want);
        assert_string_equal(e2.msg, "there is no account #999999 you may see");
    }
    assert_int_equal(ra_account_get(r, &pa, w.va, &acc, &err), SERTEL_ERR_NOTFOUND);
    assert_int_equal(ra_account_get(r, &aud, w.vb, &acc, &err), SERTEL_OK);
    assert_false(acc.person);
    assert_string_equal(acc.role, RA_ROLE_VERIFIER);
    /* a signing lock shows */
    assert_int_equal(store_execf(ca_get0_store(ra_get0_ca(r)), &err,
                                 "UPDATE subscribers SET hard_locked = 1 WHERE account_id = ?", "i",
                                 w.pa),
                     SERTEL_OK);
    assert_int_equal(ra_account_get(r, local(), w.pa, &acc, &err), SERTEL_OK);
    assert_true(acc.signing_locked);
    assert_int_equal(ra_unlock(r, &va, w.email_a, &err), SERTEL_OK);
    assert_int_equal(ra_account_get(r, local(), w.pa, &acc, &err), SERTEL_OK);
    assert_false(acc.signing_locked);
    ra_close(r);
    check_audit(f);
}

/* --- an application's documents --- */

static int64_t viewed(ra *r)
{
    return count(r, "SELECT count(*) FROM audit_log WHERE event = ?", "application.document_viewed",
                 0);
}

static void test_documents(void **state)
{
    struct fx *f = *state;
    struct world w;
    ra *r = NULL;
    ra_actor va, vb, pa, aud;
    ra_application a;
    ra_app_file file;
    unsigned char *stored = NULL;
    size_t stored_len = 0;
    char dir[4200];
    int64_t before, renewal_like;
    sertel_err err = {0};

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    world(f, r, &w);
    as(r, "verif@uji.go.id", &va);
    as(r, "verif@lain.go.id", &vb);
    as(r, w.email_a, &pa);
    as(r, "audit@bssn.go.id", &aud);
    assert_int_equal(ra_application_get(r, &va, w.app_a, &a, &err), SERTEL_OK);
    assert_string_equal(a.unit, "Biro Keuangan");
    assert_string_equal(a.position, "Analis Anggaran");
    assert_int_equal(a.account_id, w.pa);

    /* the agency's verifier: the letter as stored, as a PDF */
    before = viewed(r);
    assert_int_equal(ra_application_file(r, &va, w.app_a, "letter", &file, &err), SERTEL_OK);
    assert_string_equal(file.content_type, "application/pdf");
    assert_string_equal(file.sha256, a.letter_sha256);
    snprintf(dir, sizeof(dir), "%s/uploads", f->home);
    assert_int_equal(upload_load(dir, a.letter_sha256, 0, &stored, &stored_len, &err), SERTEL_OK);
    assert_int_equal(file.len, stored_len);
    assert_memory_equal(file.data, stored, stored_len);
    free(stored);
    assert_non_null(strstr(file.filename, "-letter.pdf"));
    ra_app_file_clear(&file);
    assert_null(file.data);
    assert_int_equal(viewed(r), before + 1);
    /* the e-KTP scan as the upload check wrote it again */
    assert_int_equal(ra_application_file(r, local(), w.app_b, "ktp", &file, &err), SERTEL_OK);
    assert_string_equal(file.content_type, "image/jpeg");
    assert_true(file.len > 2 && file.data[0] == 0xff && file.data[1] == 0xd8);
    ra_app_file_clear(&file);
    assert_int_equal(viewed(r), before + 2);
    /* who may not: nothing handed out, nothing recorded */
    assert_int_equal(ra_application_file(r, &vb, w.app_a, "letter", &file, &err),
                     SERTEL_ERR_DENIED);
    assert_null(file.data);
    assert_int_equal(ra_application_file(r, &pa, w.app_a, "ktp", &file, &err), SERTEL_ERR_DENIED);
    assert_int_equal(ra_application_file(r, &aud, w.app_a, "ktp", &file, &err), SERTEL_ERR_DENIED);
    assert_int_equal(viewed(r), before + 2);
    assert_int_equal(ra_application_file(r, &va, 424242, "letter", &file, &err),
                     SERTEL_ERR_NOTFOUND);
    assert_int_equal(ra_application_file(r, &va, w.app_a, "../letter", &file, &err),
                     SERTEL_ERR_INVALID);
    /* an application without documents (a renewal's shape) */
    assert_int_equal(store_execf(ca_get0_store(ra_get0_ca(r)), &err,
                                 "UPDATE applications SET ktp_sha256 = NULL WHERE id = ?", "i",
                                 w.app_a),
                     SERTEL_OK);
    assert_int_equal(ra_application_file(r, &va, w.app_a, "ktp", &file, &err), SERTEL_ERR_NOTFOUND);
    /* an uploads table that calls the letter an image is not believed */
    renewal_like = w.app_b;
    assert_int_equal(ra_application_get(r, local(), renewal_like, &a, &err), SERTEL_OK);
    assert_int_equal(store_execf(ca_get0_store(ra_get0_ca(r)), &err,
                                 "UPDATE uploads SET kind = 'PNG' WHERE sha256 = ?", "t",
                                 a.letter_sha256),
                     SERTEL_OK);
    assert_int_equal(ra_application_file(r, local(), renewal_like, "letter", &file, &err),
                     SERTEL_ERR_TAMPERED);
    assert_null(file.data);
    assert_int_equal(viewed(r), before + 2);
    ra_close(r);
    check_audit(f);
}

#ifdef SERTEL_FAULT_INJECTION
/* A store failure anywhere: the file is handed out only when its reading is on record. */
static void test_documents_fail_closed(void **state)
{
    struct fx *f = *state;
    struct world w;
    ra *r = NULL;
    ra_app_file file;
    sertel_err err = {0};
    long n;
    int fired = 0;

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    world(f, r, &w);
    ra_close(r);
    for (n = 1; n < 100; n++) {
        int64_t before, after;
        int rc;

        assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
        before = viewed(r);
        fault_arm(FAULT_STORE, n);
        rc = ra_application_file(r, local(), w.app_a, "letter", &file, &err);
        fired = fault_fired(FAULT_STORE);
        fault_arm(FAULT_STORE, 0);
        after = viewed(r);
        if (rc == SERTEL_OK) {
            assert_non_null(file.data);
            assert_int_equal(after, before + 1);
        } else {
            assert_null(file.data);
            assert_int_equal(after, before);
        }
        ra_app_file_clear(&file);
        ra_close(r);
        if (!fired)
            break;
    }
    assert_false(fired); /* the sweep reached the end of the call */
    check_audit(f);
}
#endif

/* --- the audit log --- */

struct entries {
    int64_t first, last, n;
    unsigned char last_hash[32];
    int last_exported; /* the last entry is the export's own record */
};

static void put64(unsigned char *p, uint64_t v)
{
    int i;

    for (i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static void lp(EVP_MD_CTX *c, const char *p, size_t n)
{
    unsigned char l[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8), (unsigned char)n};

    EVP_DigestUpdate(c, l, 4);
    EVP_DigestUpdate(c, p, n);
}

/* Recompute the entry's hash from audit.h's formula and check its link to the one before. */
static int check_entry(const audit_entry *e, void *arg)
{
    struct entries *x = arg;
    unsigned char b[8], md[32];
    EVP_MD_CTX *c = EVP_MD_CTX_new();

    assert_non_null(c);
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    EVP_DigestUpdate(c, "sertel-audit-v1", 15);
    put64(b, (uint64_t)e->seq);
    EVP_DigestUpdate(c, b, 8);
    put64(b, (uint64_t)e->ts);
    EVP_DigestUpdate(c, b, 8);
    lp(c, e->actor, e->actor_len);
    lp(c, e->event, e->event_len);
    lp(c, e->object, e->object_len);
    lp(c, e->details, e->details_len);
    EVP_DigestUpdate(c, e->prev_hash, 32);
    EVP_DigestFinal_ex(c, md, NULL);
    EVP_MD_CTX_free(c);
    assert_memory_equal(md, e->hash, 32);
    assert_int_equal(strlen(e->details), e->details_len);
    if (x->n > 0) {
        assert_int_equal(e->seq, x->last + 1);
        assert_memory_equal(e->prev_hash, x->last_hash, 32);
    } else {
        x->first = e->seq;
    }
    x->n++;
    x->last = e->seq;
    memcpy(x->last_hash, e->hash, 32);
    x->last_exported = strcmp(e->event, "audit.exported") == 0;
    return 0;
}

/* ra_audit_list from after, at most limit entries, each checked by check_entry. */
static int audit_page(ra *r, const ra_actor *by, int64_t after, size_t limit, struct entries *x,
                      size_t *n, sertel_err *err)
{
    audit_filter f;

    memset(&f, 0, sizeof(f));
    f.after = after;
    f.limit = limit;
    return ra_audit_list(r, by, &f, check_entry, x, n, err);
}

static void test_audit(void **state)
{
    struct fx *f = *state;
    struct world w;
    struct entries x;
    ra *r = NULL;
    ra_actor va, aud;
    char *head = NULL, hex[65], *p;
    size_t head_len = 0, n = 0;
    int64_t head_seq = 0, total, exports;
    sertel_err err = {0};

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    world(f, r, &w);
    as(r, "verif@uji.go.id", &va);
    as(r, "audit@bssn.go.id", &aud);
    total = count(r, "SELECT max(seq) FROM audit_log WHERE seq > ?", NULL, 0);

    memset(&x, 0, sizeof(x));
    assert_int_equal(audit_page(r, &aud, 0, 10000, &x, &n, &err), SERTEL_OK);
    assert_int_equal(x.first, 1);
    assert_int_equal(x.last, total);
    assert_int_equal((int64_t)n, total);
    memset(&x, 0, sizeof(x));
    assert_int_equal(audit_page(r, local(), 3, 4, &x, &n, &err), SERTEL_OK);
    assert_int_equal(x.first, 4);
    assert_int_equal(x.last, 7);
    assert_int_equal(audit_page(r, &va, 0, 10, &x, &n, &err), SERTEL_ERR_DENIED);
    assert_int_equal(audit_page(r, &aud, 0, 0, &x, &n, &err), SERTEL_ERR_INVALID);
    assert_int_equal(audit_page(r, &aud, -1, 5, &x, &n, &err), SERTEL_ERR_INVALID);

    /* the export: on record first, then everything up to the signed head */
    exports = count(r, "SELECT count(*) FROM audit_log WHERE event = ?", "audit.exported", 0);
    assert_int_equal(
        ra_audit_export(r, &va, 0, 100, &head, &head_len, &head_seq, check_entry, &x, &n, &err),
        SERTEL_ERR_DENIED);
    assert_null(head);
    assert_int_equal(
        count(r, "SELECT count(*) FROM audit_log WHERE event = ?", "audit.exported", 0),
        exports); /* a refused export writes nothing */
    memset(&x, 0, sizeof(x));
    assert_int_equal(ra_audit_export(r, &aud, 0, RA_AUDIT_EXPORT_MAX, &head, &head_len, &head_seq,
                                     check_entry, &x, &n, &err),
                     SERTEL_OK);
    assert_non_null(head);
    assert_int_equal(head_seq, total + 1);
    assert_int_equal(x.last, head_seq);
    assert_true(x.last_exported);
    hex_encode(x.last_hash, 32, hex);
    p = strstr(head, "\nhash ");
    assert_non_null(p);
    assert_memory_equal(p + 6, hex, 64); /* the last entry's hash is the head's */
    assert_int_equal(strncmp(head, "sertel-audit-head v1\n", 21), 0);
    free(head);
    head = NULL;
    /* paging: a page that ends before the head */
    memset(&x, 0, sizeof(x));
    assert_int_equal(
        ra_audit_export(r, local(), 2, 3, &head, &head_len, &head_seq, check_entry, &x, &n, &err),
        SERTEL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(x.first, 3);
    assert_true(head_seq > x.last);
    free(head);
    ra_close(r);
    check_audit(f);
}

/* --- the rows as the CLI shows them (sertel agency list, account list, review show) --- */

/* What a listing gave: ids, and e-mails or names. */
struct got {
    int n;
    int64_t ids[32];
    char text[32][1600];
};

static int got_agency(const ra_agency *a, void *arg)
{
    struct got *g = arg;
    char doms[1024] = "";
    size_t i, len = 0;

    assert_true(g->n < 32);
    for (i = 0; i < a->ndomains; i++)
        len +=
            (size_t)snprintf(doms + len, sizeof(doms) - len, "%s%s", i ? "," : "", a->domains[i]);
    assert_true(len < sizeof(doms));
    g->ids[g->n] = a->id;
    snprintf(g->text[g->n], sizeof(g->text[0]), "%s|%s|%lld|%lld", a->name, doms,
             (long long)a->people, (long long)a->verifiers);
    g->n++;
    return 0;
}

static int got_account(const ra_account *a, void *arg)
{
    struct got *g = arg;

    assert_true(g->n < 32);
    g->ids[g->n] = a->id;
    snprintf(g->text[g->n], sizeof(g->text[0]), "%s", a->email);
    g->n++;
    return 0;
}

static int got_has(const struct got *g, const char *text)
{
    int i;

    for (i = 0; i < g->n; i++)
        if (strcmp(g->text[i], text) == 0)
            return 1;
    return 0;
}

static ra_actor actor_of(ra *r, const char *email)
{
    ra_actor a;

    as(r, email, &a);
    return a;
}

/* A second agency with a person, a verifier for each agency, an auditor. */
static void populate(struct fx *f, ra *r, int64_t *agency2)
{
    const char *doms[] = {"lain.go.id"};
    ra_registration reg;
    int64_t id = 0;
    sertel_err err = {0};

    assert_int_equal(ra_agency_add(r, local(), "Dinas Lain", doms, 1, agency2, &err), SERTEL_OK);
    assert_int_equal(ra_account_add(r, local(), RA_ROLE_VERIFIER, f->agency, "verif@uji.go.id",
                                    "Verifikator Uji", &id, &err),
                     SERTEL_OK);
    assert_int_equal(ra_account_add(r, local(), RA_ROLE_VERIFIER, *agency2, "verif@lain.go.id",
                                    "Verifikator Lain", &id, &err),
                     SERTEL_OK);
    assert_int_equal(
        ra_account_add(r, local(), RA_ROLE_AUDITOR, 0, "audit@bssn.go.id", "Auditor", &id, &err),
        SERTEL_OK);
    memset(&reg, 0, sizeof(reg));
    reg.agency_id = *agency2;
    reg.name = "Orang Lain";
    reg.nik = "6271015201900009";
    reg.email = "orang@lain.go.id";
    reg.unit = "Bagian Umum";
    reg.position = "Staf";
    assert_int_equal(ra_register(r, local(), &reg, &id, &err), SERTEL_OK);
}

static void test_rows_by_reach(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    ra_actor v1, v2, aud, app, client;
    struct got g;
    char email[64];
    int64_t agency2 = 0;
    sertel_err err = {0};

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    (void)new_applicant(f, r, email, sizeof(email)); /* pegawai1@uji.go.id, pending */
    populate(f, r, &agency2);
    v1 = actor_of(r, "verif@uji.go.id");
    v2 = actor_of(r, "verif@lain.go.id");
    aud = actor_of(r, "audit@bssn.go.id");
    app = actor_of(r, email);

    /* Agencies: everything for the local administrator and the auditor, with domains and
     * counts; the own agency for a verifier and an applicant. */
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_agency_list(r, local(), got_agency, &g, &err), SERTEL_OK);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.text[0], "Kementerian Uji|uji.go.id|1|1");
    assert_string_equal(g.text[1], "Dinas Lain|lain.go.id|1|1");
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_agency_list(r, &aud, got_agency, &g, &err), SERTEL_OK);
    assert_int_equal(g.n, 2);
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_agency_list(r, &v2, got_agency, &g, &err), SERTEL_OK);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.ids[0], agency2);
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_agency_list(r, &app, got_agency, &g, &err), SERTEL_OK);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.ids[0], f->agency);

    /* Accounts. */
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_account_list(r, local(), NULL, got_account, &g, NULL, &err), SERTEL_OK);
    assert_int_equal(g.n, 6); /* the admin from init, the person, 2 verifiers, auditor, person */
    assert_true(got_has(&g, "admin@uji.go.id") && got_has(&g, "orang@lain.go.id"));
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_account_list(r, &v1, NULL, got_account, &g, NULL, &err), SERTEL_OK);
    assert_int_equal(g.n, 2);
    assert_true(got_has(&g, email) && got_has(&g, "verif@uji.go.id"));
    assert_false(got_has(&g, "orang@lain.go.id") || got_has(&g, "admin@uji.go.id"));
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_account_list(r, &app, NULL, got_account, &g, NULL, &err), SERTEL_OK);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.text[0], email);
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_account_list(r, &aud, NULL, got_account, &g, NULL, &err), SERTEL_OK);
    assert_int_equal(g.n, 6);

    /* An agency system sees no people through these listings. */
    memset(&client, 0, sizeof(client));
    snprintf(client.role, sizeof(client.role), "%s", RA_ROLE_CLIENT);
    client.agency_id = f->agency;
    client.scopes = RA_SCOPE_SIGN | RA_SCOPE_STATUS | RA_SCOPE_REGISTER | RA_SCOPE_VERIFY;
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_account_list(r, &client, NULL, got_account, &g, NULL, &err),
                     SERTEL_ERR_DENIED);
    assert_int_equal(ra_agency_list(r, &client, got_agency, &g, &err), SERTEL_ERR_DENIED);
    assert_int_equal(g.n, 0);
    ra_close(r);
}

static void test_account_row(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    ra_account a;
    ra_actor v2;
    char email[64], email2[64];
    int64_t agency2 = 0, id, id2;
    sertel_err err = {0};

    id2 = issue_for(f, email2, sizeof(email2), "passphrase rahasia"); /* pegawai1: ISSUE */
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    (void)new_applicant(f, r, email, sizeof(email)); /* pegawai2: waiting */
    populate(f, r, &agency2);
    id = count(r, "SELECT id FROM accounts WHERE email = ?", email, 0);
    assert_int_equal(ra_account_get(r, local(), id, &a, &err), SERTEL_OK);
    assert_string_equal(a.email, email);
    assert_string_equal(a.role, RA_ROLE_APPLICANT);
    assert_int_equal(a.agency_id, f->agency);
    assert_true(a.person && a.email_confirmed);
    assert_string_equal(a.unit, "Biro Uji");
    assert_string_equal(a.position, "Analis");
    assert_int_equal(strlen(a.nik), 16);
    assert_string_equal(a.status, "WAITING_FOR_VERIFICATION");
    assert_string_equal(a.cert_serial, "");
    assert_false(a.signing_locked);

    assert_int_equal(ra_account_get(r, local(), id2, &a, &err), SERTEL_OK);
    assert_string_equal(a.status, "ISSUE");
    assert_int_equal(strlen(a.cert_serial) > 0, 1);
    /* A hard lock shows. */
    assert_int_equal(store_execf(ca_get0_store(ra_get0_ca(r)), &err,
                                 "UPDATE subscribers SET hard_locked = 1 WHERE account_id = ?", "i",
                                 id2),
                     SERTEL_OK);
    assert_int_equal(ra_account_get(r, local(), id2, &a, &err), SERTEL_OK);
    assert_true(a.signing_locked);

    /* Staff accounts are not persons. */
    assert_int_equal(ra_account_get(r, local(), 1, &a, &err), SERTEL_OK);
    assert_string_equal(a.role, RA_ROLE_ADMIN);
    assert_false(a.person);
    assert_string_equal(a.status, "");
    assert_true(a.password_set);

    /* Another agency's verifier may not read the row, told as for an unknown id. */
    v2 = actor_of(r, "verif@lain.go.id");
    assert_int_equal(ra_account_get(r, &v2, id, &a, &err), SERTEL_ERR_NOTFOUND);
    assert_string_equal(a.email, "");
    assert_int_equal(ra_account_get(r, local(), 999, &a, &err), SERTEL_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "no account #999"));
    ra_close(r);
}

static int got_step(const ra_app_step *h, void *arg)
{
    struct got *g = arg;

    assert_true(g->n < 32);
    g->ids[g->n] = h->at;
    snprintf(g->text[g->n], sizeof(g->text[0]), "%s>%s|%s", h->event, h->state, h->note);
    g->n++;
    return 0;
}

static void test_history_and_document_list(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    ra_actor v2;
    ra_document docs[2];
    struct got g;
    char email[64], path[4200];
    int64_t app1, app, agency2 = 0, i;
    size_t n = 0;
    sertel_err err = {0};

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    /* Application 1, then nine more, so that the history of 1 is not that of 10..19. */
    app1 = new_applicant(f, r, email, sizeof(email));
    for (i = 0; i < 9; i++)
        (void)new_applicant(f, r, email, sizeof(email));
    app = new_applicant(f, r, email, sizeof(email));
    assert_int_equal(app, 11);
    assert_int_equal(ra_review_decide(r, local(), app, RA_RETURN, "foto buram", &err), SERTEL_OK);
    assert_int_equal(
        ra_apply_issuance(r, local(), email, letter, letter_len, ktp, ktp_len, &app, &err),
        SERTEL_OK);
    assert_int_equal(app, 11);
    assert_int_equal(ra_review_decide(r, local(), app, RA_APPROVE, NULL, &err), SERTEL_OK);
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_application_history(r, local(), app, got_step, &g, &err), SERTEL_OK);
    assert_int_equal(g.n, 4);
    assert_string_equal(g.text[0], "submitted>pending|");
    assert_string_equal(g.text[1], "returned>returned|foto buram");
    assert_string_equal(g.text[2], "resubmitted>pending|");
    assert_string_equal(g.text[3], "approved>approved|");
    assert_true(g.ids[0] <= g.ids[1] && g.ids[2] <= g.ids[3]);
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_application_history(r, local(), app1, got_step, &g, &err), SERTEL_OK);
    assert_int_equal(g.n, 1); /* not application 11's steps */

    assert_int_equal(ra_application_documents(r, local(), app, docs, &n, &err), SERTEL_OK);
    assert_int_equal(n, 2);
    assert_string_equal(docs[0].kind, "letter");
    assert_string_equal(docs[1].kind, "ktp");
    assert_int_equal(docs[0].size, (int64_t)letter_len);
    assert_true(docs[1].size > 0);
    snprintf(path, sizeof(path), "%s/uploads/%.2s/%s", f->home, docs[0].sha256, docs[0].sha256);
    assert_string_equal(docs[0].path, path);
    {
        unsigned char *b = NULL;
        size_t len = 0;
        assert_int_equal(fs_read_file(docs[0].path, 1 << 20, &b, &len, &err), SERTEL_OK);
        assert_int_equal(len, letter_len);
        free(b);
    }
    assert_int_equal(ra_application_documents(r, local(), 999, docs, &n, &err),
                     SERTEL_ERR_NOTFOUND);

    /* Another agency's verifier sees neither; the auditor the history but not the documents
     * (application.documents: the agency's verifiers and administrators). */
    populate(f, r, &agency2);
    v2 = actor_of(r, "verif@lain.go.id");
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_application_history(r, &v2, app, got_step, &g, &err), SERTEL_ERR_DENIED);
    assert_int_equal(g.n, 0);
    assert_int_equal(ra_application_documents(r, &v2, app, docs, &n, &err), SERTEL_ERR_DENIED);
    assert_int_equal(n, 0);
    v2 = actor_of(r, "audit@bssn.go.id");
    assert_int_equal(ra_application_history(r, &v2, app, got_step, &g, &err), SERTEL_OK);
    assert_int_equal(ra_application_documents(r, &v2, app, docs, &n, &err), SERTEL_ERR_DENIED);
    v2 = actor_of(r, "verif@uji.go.id");
    assert_int_equal(ra_application_documents(r, &v2, app, docs, &n, &err), SERTEL_OK);
    assert_int_equal(n, 2);
    ra_close(r);
}

static int got_entry(const audit_entry *e, void *arg)
{
    size_t *n = arg;

    (void)e;
    (*n)++;
    return 0;
}

static void test_audit_reach(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    ra_actor v1, aud, app;
    audit_filter flt;
    char email[64];
    int64_t agency2 = 0;
    size_t seen = 0, n = 0;
    sertel_err err = {0};

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    (void)new_applicant(f, r, email, sizeof(email));
    populate(f, r, &agency2);
    v1 = actor_of(r, "verif@uji.go.id");
    aud = actor_of(r, "audit@bssn.go.id");
    app = actor_of(r, email);
    memset(&flt, 0, sizeof(flt));
    flt.limit = RA_AUDIT_EXPORT_MAX;
    assert_int_equal(ra_audit_list(r, local(), &flt, got_entry, &seen, &n, &err), SERTEL_OK);
    assert_true(n > 5);
    assert_int_equal(seen, n);
    seen = 0;
    assert_int_equal(ra_audit_list(r, &aud, &flt, got_entry, &seen, &n, &err), SERTEL_OK);
    assert_int_equal(seen, n);
    /* The filters reach the log: one event family, one object. */
    seen = 0;
    flt.event_prefix = "application.";
    assert_int_equal(ra_audit_list(r, &aud, &flt, got_entry, &seen, &n, &err), SERTEL_OK);
    assert_int_equal((int64_t)n, count(r, "SELECT count(*) FROM audit_log WHERE event LIKE ?",
                                       "application.%", 0));
    assert_true(n >= 1);
    seen = 0;
    assert_int_equal(ra_audit_list(r, &v1, &flt, got_entry, &seen, &n, &err), SERTEL_ERR_DENIED);
    assert_int_equal(ra_audit_list(r, &app, &flt, got_entry, &seen, &n, &err), SERTEL_ERR_DENIED);
    assert_int_equal(seen, 0);
    assert_int_equal(n, 0);
    ra_close(r);
}

/* --- a staff member's authenticator --- */

static void test_staff_factor_reset(void **state)
{
    struct fx *f = *state;
    struct world w;
    ra *r = NULL;
    ra_actor va, va2, admin_as;
    ra_account acc;
    char uri[TOTP_URI_MAX];
    int64_t other = 0;
    sertel_err err = {0};

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    world(f, r, &w);
    as(r, "verif@uji.go.id", &va);
    assert_int_equal(ra_totp_enroll_staff(r, &va, uri, sizeof(uri), &err), SERTEL_OK);
    assert_int_equal(ra_account_get(r, local(), w.va, &acc, &err), SERTEL_OK);
    assert_true(acc.factor_enrolled);
    /* never one's own; never another agency's */
    assert_int_equal(ra_totp_reset(r, &va, "verif@uji.go.id", &err), SERTEL_ERR_DENIED);
    as(r, "verif@lain.go.id", &va2);
    assert_int_equal(ra_totp_reset(r, &va2, "verif@uji.go.id", &err), SERTEL_ERR_DENIED);
    /* an administrator (not registered as a person) resets a verifier's login factor */
    assert_int_equal(ra_account_add(r, local(), RA_ROLE_ADMIN, 0, "admin2@bssn.go.id", "Admin Dua",
                                    &other, &err),
                     SERTEL_OK);
    as(r, "admin2@bssn.go.id", &admin_as);
    assert_int_equal(ra_totp_reset(r, &admin_as, "verif@uji.go.id", &err), SERTEL_OK);
    assert_int_equal(ra_account_get(r, local(), w.va, &acc, &err), SERTEL_OK);
    assert_false(acc.factor_enrolled);
    assert_int_equal(count(r,
                           "SELECT count(*) FROM audit_log WHERE event = ? AND object = "
                           "'verif@uji.go.id'",
                           "totp.reset", 0),
                     1);
    assert_int_equal(ra_totp_reset(r, &admin_as, "nobody@uji.go.id", &err), SERTEL_ERR_NOTFOUND);
    /* it enrols again */
    assert_int_equal(ra_totp_enroll_staff(r, &va, uri, sizeof(uri), &err), SERTEL_OK);
    ra_close(r);
    check_audit(f);
}

static void test_nik_mask(void **state)
{
    char out[NIK_LEN + 1];

    (void)state;
    nik_mask("6271014101900001", out);
    assert_string_equal(out, "************0001");
    nik_mask("", out);
    assert_string_equal(out, "");
    nik_mask("62710141019000011", out);
    assert_string_equal(out, "");
}

int main(int argc, char **argv)
{
    FX_WORKER_MAIN(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_rows),
        cmocka_unit_test(test_nik_mask),
        cmocka_unit_test_setup_teardown(test_listings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_documents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rows_by_reach, setup, teardown),
        cmocka_unit_test_setup_teardown(test_account_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_and_document_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_reach, setup, teardown),
        cmocka_unit_test_setup_teardown(test_staff_factor_reset, setup, teardown),
#ifdef SERTEL_FAULT_INJECTION
        cmocka_unit_test_setup_teardown(test_documents_fail_closed, setup, teardown),
#endif
    };
    load_data();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
