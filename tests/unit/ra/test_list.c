/*
 * test_list.c - the registration authority's listings (list.c): agencies
 * and accounts filtered by the policy's reach for every role (the local
 * administrator, an admin, an auditor, a verifier of each agency, an
 * applicant, an API client), a person's status and lock in the account
 * row, one application's history from the audit log and its documents,
 * and the audit log for those who may read it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "fixture.h"

/* What a listing gave: ids, and e-mails or names. */
struct got {
    int n;
    int64_t ids[32];
    char text[32][1600];
};

static int got_agency(const ra_agency *a, void *arg)
{
    struct got *g = arg;

    assert_true(g->n < 32);
    g->ids[g->n] = a->id;
    snprintf(g->text[g->n], sizeof(g->text[0]), "%s|%s|%lld|%lld", a->name, a->domains,
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

static int has(const struct got *g, const char *text)
{
    int i;

    for (i = 0; i < g->n; i++)
        if (strcmp(g->text[i], text) == 0)
            return 1;
    return 0;
}

static ra_actor as(ra *r, const char *email)
{
    ra_actor a;
    sertel_err err = {0};

    if (ra_actor_local_as(r, email, &a, &err) != SERTEL_OK)
        fail_msg("actor %s: %s", email, err.msg);
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

static void test_agencies_and_accounts_by_reach(void **state)
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
    v1 = as(r, "verif@uji.go.id");
    v2 = as(r, "verif@lain.go.id");
    aud = as(r, "audit@bssn.go.id");
    app = as(r, email);

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
    assert_int_equal(ra_account_list(r, local(), got_account, &g, &err), SERTEL_OK);
    assert_int_equal(g.n, 6); /* the admin from init, the person, 2 verifiers, auditor, person */
    assert_true(has(&g, "admin@uji.go.id") && has(&g, "orang@lain.go.id"));
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_account_list(r, &v1, got_account, &g, &err), SERTEL_OK);
    assert_int_equal(g.n, 2);
    assert_true(has(&g, email) && has(&g, "verif@uji.go.id"));
    assert_false(has(&g, "orang@lain.go.id") || has(&g, "admin@uji.go.id"));
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_account_list(r, &app, got_account, &g, &err), SERTEL_OK);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.text[0], email);
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_account_list(r, &aud, got_account, &g, &err), SERTEL_OK);
    assert_int_equal(g.n, 6);

    /* An agency system sees no people through these listings. */
    memset(&client, 0, sizeof(client));
    snprintf(client.role, sizeof(client.role), "%s", RA_ROLE_CLIENT);
    client.agency_id = f->agency;
    client.scopes = RA_SCOPE_SIGN | RA_SCOPE_STATUS | RA_SCOPE_REGISTER | RA_SCOPE_VERIFY;
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_account_list(r, &client, got_account, &g, &err), SERTEL_ERR_DENIED);
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
    assert_true(a.has_password);

    /* Another agency's verifier may not read the row; an unknown id is not found. */
    v2 = as(r, "verif@lain.go.id");
    assert_int_equal(ra_account_get(r, &v2, id, &a, &err), SERTEL_ERR_DENIED);
    assert_string_equal(a.email, "");
    assert_int_equal(ra_account_get(r, local(), 999, &a, &err), SERTEL_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "account list"));
    ra_close(r);
}

static int got_history(const ra_history *h, void *arg)
{
    struct got *g = arg;
    json_t *d = json_loads(h->details, 0, NULL);

    assert_non_null(d);
    json_decref(d);
    assert_true(g->n < 32);
    g->ids[g->n] = h->seq;
    snprintf(g->text[g->n], sizeof(g->text[0]), "%s", h->event);
    g->n++;
    return 0;
}

static void test_history_and_documents(void **state)
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
    assert_int_equal(ra_application_history(r, local(), app, got_history, &g, &err), SERTEL_OK);
    assert_int_equal(g.n, 4);
    assert_string_equal(g.text[0], "application.submitted");
    assert_string_equal(g.text[1], "application.returned");
    assert_string_equal(g.text[2], "application.submitted");
    assert_string_equal(g.text[3], "application.approved");
    assert_true(g.ids[0] < g.ids[1] && g.ids[2] < g.ids[3]);
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_application_history(r, local(), app1, got_history, &g, &err), SERTEL_OK);
    assert_int_equal(g.n, 1); /* not application 11's entries */

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

    /* Another agency's verifier sees neither. */
    populate(f, r, &agency2);
    v2 = as(r, "verif@lain.go.id");
    memset(&g, 0, sizeof(g));
    assert_int_equal(ra_application_history(r, &v2, app, got_history, &g, &err), SERTEL_ERR_DENIED);
    assert_int_equal(g.n, 0);
    assert_int_equal(ra_application_documents(r, &v2, app, docs, &n, &err), SERTEL_ERR_DENIED);
    assert_int_equal(n, 0);
    ra_close(r);
}

static int got_entry(void *arg, const audit_entry *e)
{
    int64_t *n = arg;

    (void)e;
    (*n)++;
    return 0;
}

static void test_audit_reach(void **state)
{
    struct fx *f = *state;
    ra *r = NULL;
    ra_actor v1, aud, app;
    char email[64];
    int64_t agency2 = 0, seen = 0, count = 0;
    sertel_err err = {0};

    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    (void)new_applicant(f, r, email, sizeof(email));
    populate(f, r, &agency2);
    v1 = as(r, "verif@uji.go.id");
    aud = as(r, "audit@bssn.go.id");
    app = as(r, email);
    assert_int_equal(ra_audit_list(r, local(), NULL, got_entry, &seen, &count, &err), SERTEL_OK);
    assert_true(count > 5);
    assert_int_equal(seen, count);
    seen = 0;
    assert_int_equal(ra_audit_list(r, &aud, NULL, got_entry, &seen, &count, &err), SERTEL_OK);
    assert_int_equal(seen, count);
    seen = 0;
    assert_int_equal(ra_audit_list(r, &v1, NULL, got_entry, &seen, &count, &err),
                     SERTEL_ERR_DENIED);
    assert_int_equal(ra_audit_list(r, &app, NULL, got_entry, &seen, &count, &err),
                     SERTEL_ERR_DENIED);
    assert_int_equal(seen, 0);
    assert_int_equal(count, 0);
    ra_close(r);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_agencies_and_accounts_by_reach, setup, teardown),
        cmocka_unit_test_setup_teardown(test_account_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_and_documents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_reach, setup, teardown),
    };

    FX_WORKER_MAIN(argc, argv);
    if (sodium_init() < 0)
        return 1;
    load_data();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
