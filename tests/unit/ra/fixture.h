/*
 * fixture.h - one way to set up what the registration authority's tests
 * need: a fresh home (tests/unit/testhome.c) with an agency "Kementerian
 * Uji" (uji.go.id), people registered, confirmed, applied for and issued
 * through the library as the CLI does (the local administrator on the
 * owner's behalf), and small helpers to count rows and verify the audit
 * chain. Included by the tests in tests/unit/ra/ (static functions).
 *
 * ra_apply_issuance checks the uploads in a sandboxed worker, which the ra
 * starts from the running executable (ra_set_sandbox): a test's main()
 * begins with FX_WORKER_MAIN(argc, argv) so that the test executable
 * serves the upload job when it is started as that worker.
 */
#ifndef SERTEL_TEST_RA_FIXTURE_H
#define SERTEL_TEST_RA_FIXTURE_H

#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/ra.h"
#include "ra/ra_int.h"
#include "ra/upload_job.h"
#include "testhome.h"
#include "testutil.h"
#include "util/fs.h"

#define FX_UNUSED __attribute__((unused))

/*
 * The worker's upload job: the real one, except for an upload that starts
 * with "LIE", for which it claims a 1 x 1 PNG whatever was accepted - a
 * worker taken over by its input. (upload_check in the ra's own process
 * would call such an upload "not a PDF"; only the worker's answer is
 * "impossible".)
 */
static FX_UNUSED int fx_upload_job(const sbx_request *req, unsigned char **out, size_t *out_len,
                                   sertel_err *err)
{
    sbx_buf b = {0};

    if (req->input_len < 3 || memcmp(req->input, "LIE", 3) != 0)
        return upload_job_check(req, out, out_len, err);
    sbx_put_u32(&b, UPLOAD_PNG);
    sbx_put_u32(&b, 1);
    sbx_put_u32(&b, 1);
    sbx_put_bytes(&b, "\x89PNG", 4);
    *out = sbx_buf_take(&b, out_len);
    return SERTEL_OK;
}

static FX_UNUSED const sbx_handler fx_worker_jobs[] = {{UPLOAD_JOB_CHECK, fx_upload_job}};

/* In main(): when this executable is started as the ra's sandboxed worker, be that worker. */
#define FX_WORKER_MAIN(argc, argv)                                                                 \
    do {                                                                                           \
        if ((argc) > 1 && strcmp((argv)[1], SBX_WORKER_ARG) == 0)                                  \
            return sbx_worker_main((argc), (argv), fx_worker_jobs, 1, upload_job_init);            \
    } while (0)

static const unsigned char *letter, *ktp;
static size_t letter_len, ktp_len;

/* The operator at the CA host's shell, acting on the owners' behalf as the CLI does. */
static FX_UNUSED const ra_actor *local(void)
{
    static ra_actor a;

    ra_actor_local_admin(&a);
    return &a;
}

struct fx {
    char *dir;
    char home[4096];
    int64_t agency;
    int people;
};

static FX_UNUSED void load_data(void)
{
    const char *d = getenv("SERTEL_TEST_DATA");
    char p[4096];
    unsigned char *b;
    size_t n;

    assert_non_null(d);
    snprintf(p, sizeof(p), "%s/letter.pdf", d);
    assert_int_equal(fs_read_file(p, 1 << 20, &b, &n, NULL), SERTEL_OK);
    free((void *)(uintptr_t)
             letter); /* loaded again after a load that failed half-way (failure injection) */
    letter = b;
    letter_len = n;
    snprintf(p, sizeof(p), "%s/ktp.jpg", d);
    assert_int_equal(fs_read_file(p, 1 << 20, &b, &n, NULL), SERTEL_OK);
    free((void *)(uintptr_t)ktp);
    ktp = b;
    ktp_len = n;
}

static FX_UNUSED int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    sertel_err err = {0};
    ra *r = NULL;
    ra_actor admin;
    const char *doms[] = {"uji.go.id"};

    f->dir = tu_mkdtemp();
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    if (tu_home_init(f->home, 1) != 0)
        return -1;
    if (ra_open(f->home, &r, &err) != SERTEL_OK) {
        print_error("%s\n", err.msg);
        return -1;
    }
    ra_actor_local_admin(&admin);
    if (ra_agency_add(r, &admin, "Kementerian Uji", doms, 1, &f->agency, &err) != SERTEL_OK) {
        print_error("%s\n", err.msg);
        return -1;
    }
    ra_close(r);
    *state = f;
    return 0;
}

static FX_UNUSED int teardown(void **state)
{
    struct fx *f = *state;

    tu_rmtree(f->dir);
    free(f);
    return 0;
}

/* Register, confirm and apply for person n; returns the application id. */
static FX_UNUSED int64_t new_applicant(struct fx *f, ra *r, char *email, size_t cap)
{
    ra_registration reg;
    ra_actor admin;
    char nik[32], name[64];
    int64_t acct = 0, app = 0;
    sertel_err err = {0};

    f->people++;
    snprintf(email, cap, "pegawai%d@uji.go.id", f->people);
    snprintf(name, sizeof(name), "Pegawai %d", f->people);
    /* Born 1..28 January 1990, serial = person number. */
    snprintf(nik, sizeof(nik), "627101%02d0190%04d", 1 + f->people % 28, f->people);
    memset(&reg, 0, sizeof(reg));
    reg.agency_id = f->agency;
    reg.name = name;
    reg.nik = nik;
    reg.email = email;
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
    if (ra_apply_issuance(r, local(), email, letter, letter_len, ktp, ktp_len, &app, &err) !=
        SERTEL_OK)
        fail_msg("apply: %s", err.msg);
    return app;
}

static FX_UNUSED int64_t count(ra *r, const char *sql, const char *txt, int64_t id)
{
    store_stmt *s = NULL;
    int64_t n = -1;
    store *st = ca_get0_store(ra_get0_ca(r));

    if (txt != NULL)
        assert_int_equal(store_queryf(st, &s, NULL, sql, "t", txt), SERTEL_OK);
    else
        assert_int_equal(store_queryf(st, &s, NULL, sql, "i", id), SERTEL_OK);
    if (store_step(s, NULL) == STORE_ROW)
        n = store_col_int64(s, 0);
    store_finalize(s);
    return n;
}

static FX_UNUSED void check_audit(struct fx *f)
{
    ca_ctx *ca = NULL;
    EVP_PKEY *pub = NULL;
    audit_report rep;
    char head[4096];
    sertel_err err = {0};

    assert_int_equal(ca_open(f->home, CA_OPEN_READONLY, &ca, &err), SERTEL_OK);
    assert_int_equal(ca_audit_public_key(ca, &pub, &err), SERTEL_OK);
    assert_int_equal(fs_path_join(head, sizeof(head), f->home, "audit.head", NULL), SERTEL_OK);
    memset(&rep, 0, sizeof(rep));
    if (audit_verify(ca_get0_store(ca), pub, head, &rep, &err) != SERTEL_OK)
        fail_msg("audit: %s %s", rep.what, err.msg);
    EVP_PKEY_free(pub);
    ca_close(ca);
}

static FX_UNUSED int64_t issue_for(struct fx *f, char *email, size_t cap, const char *pass)
{
    ra *r = NULL;
    ra_actor admin;
    int64_t app, acct;
    char token[2 * RA_TOKEN_BYTES + 1], serial[41];
    sertel_err err = {0};

    ra_actor_local_admin(&admin);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    app = new_applicant(f, r, email, cap);
    assert_int_equal(ra_review_decide(r, &admin, app, RA_APPROVE, NULL, &err), SERTEL_OK);
    acct = count(r, "SELECT id FROM accounts WHERE email = ?", email, 0);
    assert_int_equal(store_begin(ca_get0_store(ra_get0_ca(r)), &err), SERTEL_OK);
    assert_int_equal(ra_token_create(r, "passphrase", acct, app, 3600, token, &err), SERTEL_OK);
    assert_int_equal(ca_txn_commit(ra_get0_ca(r), &err), SERTEL_OK);
    if (ra_passphrase_create(r, local(), token, pass, serial, &err) != SERTEL_OK)
        fail_msg("passphrase: %s", err.msg);
    ra_close(r);
    return acct;
}

#endif
