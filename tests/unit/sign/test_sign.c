/*
 * test_sign.c - the owner's signing operation (lib/sign): each case fails
 * on the code before it (the home-key flow strung together in
 * src/cmd_sign.c, the register drawing its own ids):
 *   - the stamp's QR code is the document's own link <base_url>/verify/<id>
 *     with the id the register holds (compared with the QR image the stamp
 *     builder makes for that text, byte for byte in the signed file), or
 *     the caller's text when given (BSrE's linkQR);
 *   - a batch: one authorization (one sign.authorized audit entry), every
 *     good document signed once and recorded once in one transaction, a
 *     bad one refused alone, nothing left of it;
 *   - ids: caller-chosen ids are recorded; an id already in the register
 *     is an error that records nothing of the batch and leaves the row;
 *   - why a signing was refused, as far as it does not depend on the
 *     passphrase: credentials, locked (with the time left), status (for a
 *     right and a wrong passphrase alike); another agency's person is
 *     unknown to an API client;
 *   - the page limit refuses a longer document before anything is signed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <zlib.h>

#include "../ra/fixture.h"
#include "pdf/pdf.h"
#include "pki/pki.h"
#include "sign/sign.h"
#include "util/hex.h"

#define PASS "passphrase penandatangan"
#define WRONG "passphrase yang keliru"

static char letter_path[4096];

/* A PDF of n empty pages at path. */
static void make_pages(const char *path, int n)
{
    FILE *f = fopen(path, "wb");
    long offs[64], x;
    int i;

    assert_non_null(f);
    assert_true(n > 0 && n < 60);
    fputs("%PDF-1.7\n", f);
    offs[1] = ftell(f);
    fputs("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n", f);
    offs[2] = ftell(f);
    fputs("2 0 obj\n<< /Type /Pages /Kids [", f);
    for (i = 0; i < n; i++)
        fprintf(f, " %d 0 R", 3 + i);
    fprintf(f, " ] /Count %d >>\nendobj\n", n);
    for (i = 0; i < n; i++) {
        offs[3 + i] = ftell(f);
        fprintf(f, "%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n",
                3 + i);
    }
    x = ftell(f);
    fprintf(f, "xref\n0 %d\n0000000000 65535 f \n", 3 + n);
    for (i = 1; i < 3 + n; i++)
        fprintf(f, "%010ld 00000 n \n", offs[i]);
    fprintf(f, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", 3 + n, x);
    fclose(f);
}

static int t_setup(void **state)
{
    const char *d = getenv("SERTEL_TEST_DATA");

    if (d == NULL)
        return -1;
    snprintf(letter_path, sizeof(letter_path), "%s/letter.pdf", d);
    if (letter == NULL || ktp == NULL)
        load_data(); /* once: the files stay for every test (again if a load failed) */
    return setup(state);
}

/* The owner: issued, with PASS. */
static void owner(struct fx *f, char *email, size_t cap)
{
    issue_for(f, email, cap, PASS);
}

/* The SHA-256 in the register of document id (hex), or "" when none. */
static void reg_sha(ra *r, const char *id, char out[65])
{
    store_stmt *s = NULL;
    size_t n = 0;

    out[0] = '\0';
    assert_int_equal(store_queryf(ca_get0_store(ra_get0_ca(r)), &s, NULL,
                                  "SELECT sha256 FROM signed_documents WHERE id = ?", "t", id),
                     SERTEL_OK);
    if (store_step(s, NULL) == STORE_ROW) {
        const void *b = store_col_blob(s, 0, &n);
        assert_int_equal(n, 32);
        hex_encode(b, 32, out);
    }
    store_finalize(s);
}

static void file_sha(const char *path, char out[65])
{
    unsigned char md[32];

    assert_int_equal(fs_sha256_file(path, md, NULL), SERTEL_OK);
    hex_encode(md, 32, out);
}

/* 1 when the file at path holds the QR image the stamp builder makes for text. */
static int has_qr(const char *path, const char *text)
{
    pdf_stamp st;
    pdf_buf content = {0};
    unsigned char *px = NULL, *file = NULL, *z = NULL;
    int qn = 0, found;
    size_t flen = 0;
    uLongf zlen;

    memset(&st, 0, sizeof(st));
    st.w = 220;
    st.h = 80;
    st.name = st.org = st.issuer = "x";
    st.qr_text = text;
    assert_int_equal(pdf_stamp_build(&st, &content, &px, &qn, NULL), SERTEL_OK);
    assert_non_null(px);
    zlen = compressBound((uLong)qn * (uLong)qn);
    z = malloc(zlen);
    assert_int_equal(compress2(z, &zlen, px, (uLong)qn * (uLong)qn, 9), Z_OK);
    assert_int_equal(fs_read_file(path, 64u << 20, &file, &flen, NULL), SERTEL_OK);
    found = memmem(file, flen, z, zlen) != NULL;
    free(file);
    free(z);
    free(px);
    pdf_buf_free(&content);
    return found;
}

static int64_t audit_count(ra *r, const char *event)
{
    return count(r, "SELECT count(*) FROM audit_log WHERE event = ?", event, 0);
}

static void test_qr_link(void **state)
{
    struct fx *f = *state;
    char email[64], out1[4200], out2[4200], id[SIGN_ID_LEN + 1], id2[SIGN_ID_LEN + 1],
        link[SIGN_QR_MAX], sha[65], rsha[65];
    ra *r = NULL;
    sign_session *ss = NULL;
    sign_ctx sc = {0};
    pades_opts po;
    fs_output *o = NULL;
    sertel_err err = {0};

    owner(f, email, sizeof(email));
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    sc.r = r;
    assert_int_equal(sign_session_open(&sc, local(), email, NULL, PASS, NULL, &ss, NULL, &err),
                     SERTEL_OK);
    memset(&po, 0, sizeof(po));
    po.sign.visible = 1;
    po.sign.rect[0] = 300;
    po.sign.rect[1] = 60;
    po.sign.rect[2] = 220;
    po.sign.rect[3] = 80;
    po.sign.reason = "Menyetujui";
    snprintf(out1, sizeof(out1), "%s/one.pdf", f->dir);
    assert_int_equal(fs_output_open(out1, 0644, FS_OUTPUT_SHA256, &o, &err), SERTEL_OK);
    if (sign_pdf(ss, &po, letter_path, o, id, &err) != SERTEL_OK)
        fail_msg("sign_pdf: %s", err.msg);
    assert_int_equal(strlen(id), SIGN_ID_LEN);
    /* The register holds the file as written under the id the QR code names. */
    file_sha(out1, sha);
    reg_sha(r, id, rsha);
    assert_string_equal(sha, rsha);
    assert_int_equal(sign_doc_link(&sc, id, link, sizeof(link), &err), SERTEL_OK);
    assert_non_null(strstr(link, "/verify/"));
    assert_true(has_qr(out1, link));
    /* not merely some QR: the old link (without the id) is not in the file */
    assert_false(has_qr(out1, "http://127.0.0.1:8080/verify"));

    /* A caller's text (BSrE's linkQR) is what the QR encodes. */
    po.sign.qr_text = "https://eoffice.contoh.go.id/surat/77";
    snprintf(out2, sizeof(out2), "%s/two.pdf", f->dir);
    assert_int_equal(fs_output_open(out2, 0644, FS_OUTPUT_SHA256, &o, &err), SERTEL_OK);
    assert_int_equal(sign_pdf(ss, &po, letter_path, o, id2, &err), SERTEL_OK);
    assert_string_not_equal(id, id2);
    assert_true(has_qr(out2, "https://eoffice.contoh.go.id/surat/77"));
    assert_int_equal(sign_doc_link(&sc, id2, link, sizeof(link), &err), SERTEL_OK);
    assert_false(has_qr(out2, link));
    sign_session_close(ss);
    ra_close(r);
    check_audit(f);
}

static void test_batch(void **state)
{
    struct fx *f = *state;
    char email[64], outs[5][4200], bad[4200], sha[65], rsha[65];
    sign_doc docs[5];
    pades_opts po;
    sign_ctx sc = {0};
    sign_session *ss = NULL;
    ra *r = NULL;
    sertel_err err = {0};
    int64_t auth0, rows0;
    int i;

    owner(f, email, sizeof(email));
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    sc.r = r;
    snprintf(bad, sizeof(bad), "%s/bad.pdf", f->dir);
    assert_int_equal(fs_write_atomic(bad, "%PDF-1.7\nnot really\n", 20, 0600, NULL), SERTEL_OK);
    auth0 = audit_count(r, "sign.authorized");
    rows0 = count(r, "SELECT count(*) FROM signed_documents WHERE account_id > ?", NULL, 0);
    assert_int_equal(sign_session_open(&sc, local(), email, NULL, PASS, NULL, &ss, NULL, &err),
                     SERTEL_OK);
    memset(&po, 0, sizeof(po));
    memset(docs, 0, sizeof(docs));
    for (i = 0; i < 5; i++) {
        snprintf(outs[i], sizeof(outs[i]), "%s/batch-%d.pdf", f->dir, i);
        assert_int_equal(fs_output_open(outs[i], 0644, FS_OUTPUT_SHA256, &docs[i].out, &err),
                         SERTEL_OK);
        docs[i].in_path = i == 2 ? bad : letter_path;
        docs[i].o = &po;
    }
    assert_int_equal(sign_pdf_batch(ss, docs, 5, &err), SERTEL_OK);
    for (i = 0; i < 5; i++) {
        if (i == 2) {
            assert_int_equal(docs[i].rc, SERTEL_ERR_INVALID);
            assert_string_equal(docs[i].id, "");
            assert_false(fs_exists(outs[i]));
            continue;
        }
        assert_int_equal(docs[i].rc, SERTEL_OK);
        file_sha(outs[i], sha);
        reg_sha(r, docs[i].id, rsha);
        assert_string_equal(sha, rsha);
        assert_int_equal(
            count(r, "SELECT count(*) FROM signed_documents WHERE id = ?", docs[i].id, 0), 1);
    }
    /* One authorization for the batch; four documents, four rows, four audit entries. */
    assert_int_equal(audit_count(r, "sign.authorized"), auth0 + 1);
    assert_int_equal(
        count(r, "SELECT count(*) FROM signed_documents WHERE account_id > ?", NULL, 0), rows0 + 4);
    sign_session_close(ss);
    ra_close(r);
    check_audit(f);
}

static void test_ids(void **state)
{
    struct fx *f = *state;
    char email[64], before[65], after[65];
    ra_sign_rec recs[2];
    ra_signer *sg = NULL;
    ra *r = NULL;
    sertel_err err = {0};
    int64_t rows;

    owner(f, email, sizeof(email));
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(ra_sign_authorize(r, local(), email, PASS, NULL, &sg, &err), SERTEL_OK);
    memset(recs, 0, sizeof(recs));
    ra_doc_id_new(recs[0].id);
    memset(recs[0].md, 0x11, 32);
    recs[0].level = "B-B";
    assert_int_equal(ra_sign_record_ids(r, sg, recs, 1, &err), SERTEL_OK);
    reg_sha(r, recs[0].id, before);
    rows = count(r, "SELECT count(*) FROM signed_documents WHERE account_id > ?", NULL, 0);
    /* The same id again, in a batch with a fresh one: an error, nothing recorded. */
    ra_doc_id_new(recs[1].id);
    memset(recs[0].md, 0x22, 32);
    memset(recs[1].md, 0x33, 32);
    recs[1].level = "B-B";
    assert_int_equal(ra_sign_record_ids(r, sg, recs + 1, 1, &err), SERTEL_OK);
    rows++;
    ra_doc_id_new(recs[1].id);
    assert_int_equal(ra_sign_record_ids(r, sg, recs, 2, &err), SERTEL_ERR_EXISTS);
    assert_non_null(strstr(err.msg, recs[0].id));
    reg_sha(r, recs[0].id, after);
    assert_string_equal(before, after);
    assert_int_equal(
        count(r, "SELECT count(*) FROM signed_documents WHERE account_id > ?", NULL, 0), rows);
    assert_int_equal(count(r, "SELECT count(*) FROM signed_documents WHERE id = ?", recs[1].id, 0),
                     0);
    /* Malformed ids are refused. */
    memcpy(recs[1].id, "ABCDEF0123456789ABCDEF0123456789", 33);
    assert_int_equal(ra_sign_record_ids(r, sg, recs + 1, 1, &err), SERTEL_ERR_INVALID);
    ra_signer_free(sg);
    ra_close(r);
    check_audit(f);
}

static void test_why(void **state)
{
    struct fx *f = *state;
    char email[64], email2[64], serial[41];
    ra_sign_why why;
    ra_signer *sg = NULL;
    ra_actor client;
    ra_person p;
    ra_revocation rv;
    ra *r = NULL;
    sertel_err err = {0};
    int i;

    owner(f, email, sizeof(email));
    owner(f, email2, sizeof(email2));
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    assert_int_equal(ra_sign_authorize_ex(r, local(), email, NULL, WRONG, NULL, &sg, &why, &err),
                     SERTEL_ERR_DENIED);
    assert_int_equal(why.refusal, RA_REFUSAL_CREDENTIALS);
    assert_null(sg);
    assert_int_equal(
        ra_sign_authorize_ex(r, local(), "nobody@uji.go.id", NULL, PASS, NULL, &sg, &why, &err),
        SERTEL_ERR_DENIED);
    assert_int_equal(why.refusal, RA_REFUSAL_CREDENTIALS);
    /* Four more wrong ones lock (lockout_after 5); then even the right one is LOCKED. */
    for (i = 0; i < 4; i++)
        assert_int_equal(
            ra_sign_authorize_ex(r, local(), email, NULL, WRONG, NULL, &sg, &why, &err),
            SERTEL_ERR_DENIED);
    assert_int_equal(why.refusal, RA_REFUSAL_CREDENTIALS);
    assert_int_equal(ra_sign_authorize_ex(r, local(), email, NULL, PASS, NULL, &sg, &why, &err),
                     SERTEL_ERR_DENIED);
    assert_int_equal(why.refusal, RA_REFUSAL_LOCKED);
    assert_true(why.retry_after > 0 && why.retry_after <= 30 * 60);

    /* Suspended: STATUS for a right and a wrong passphrase alike (no oracle). */
    assert_int_equal(ra_person_by_email(r, email2, &p, &err), SERTEL_OK);
    {
        ca_cert_record cr;
        memset(&cr, 0, sizeof(cr));
        assert_int_equal(ca_cert_newest_of_account(ra_get0_ca(r), p.account_id, &cr, &err),
                         SERTEL_OK);
        snprintf(serial, sizeof(serial), "%s", cr.serial);
        ca_cert_record_clear(&cr);
    }
    memset(&rv, 0, sizeof(rv));
    rv.reason = CA_REASON_CERTIFICATE_HOLD;
    if (ra_cert_revoke(r, local(), serial, &rv, &err) != SERTEL_OK)
        fail_msg("suspend: %s", err.msg);
    assert_int_equal(ra_sign_authorize_ex(r, local(), email2, NULL, PASS, NULL, &sg, &why, &err),
                     SERTEL_ERR_DENIED);
    assert_int_equal(why.refusal, RA_REFUSAL_STATUS);
    assert_int_equal(why.status, RA_STATUS_SUSPEND);
    assert_int_equal(ra_sign_authorize_ex(r, local(), email2, NULL, WRONG, NULL, &sg, &why, &err),
                     SERTEL_ERR_DENIED);
    assert_int_equal(why.refusal, RA_REFUSAL_STATUS);

    /* An API client of another agency: the person is unknown to it (CREDENTIALS, the one
     * message), not "belongs to another agency". */
    memset(&client, 0, sizeof(client));
    snprintf(client.role, sizeof(client.role), "%s", RA_ROLE_CLIENT);
    snprintf(client.client_id, sizeof(client.client_id), "cl_test");
    client.agency_id = f->agency + 100;
    client.scopes = RA_SCOPE_SIGN;
    assert_int_equal(ra_sign_authorize_ex(r, &client, NULL, p.nik, PASS, NULL, &sg, &why, &err),
                     SERTEL_ERR_DENIED);
    assert_int_equal(why.refusal, RA_REFUSAL_CREDENTIALS);
    assert_null(strstr(err.msg, "agency"));
    ra_close(r);
    check_audit(f);
}

static void test_max_pages(void **state)
{
    struct fx *f = *state;
    char email[64], in[4200], out[4200], id[SIGN_ID_LEN + 1];
    sign_ctx sc = {0};
    sign_session *ss = NULL;
    pades_opts po;
    fs_output *o = NULL;
    ra *r = NULL;
    sertel_err err = {0};
    int64_t rows;

    owner(f, email, sizeof(email));
    snprintf(in, sizeof(in), "%s/three.pdf", f->dir);
    make_pages(in, 3);
    snprintf(out, sizeof(out), "%s/three-signed.pdf", f->dir);
    assert_int_equal(ra_open(f->home, &r, &err), SERTEL_OK);
    sc.r = r;
    sc.max_pages = 2;
    assert_int_equal(sign_session_open(&sc, local(), email, NULL, PASS, NULL, &ss, NULL, &err),
                     SERTEL_OK);
    memset(&po, 0, sizeof(po));
    rows = count(r, "SELECT count(*) FROM signed_documents WHERE account_id > ?", NULL, 0);
    assert_int_equal(fs_output_open(out, 0644, FS_OUTPUT_SHA256, &o, &err), SERTEL_OK);
    assert_int_equal(sign_pdf(ss, &po, in, o, id, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "3 pages"));
    assert_string_equal(id, "");
    assert_false(fs_exists(out));
    assert_int_equal(
        count(r, "SELECT count(*) FROM signed_documents WHERE account_id > ?", NULL, 0), rows);
    /* Within the limit: signed, and B-T without a TSA is refused clearly. */
    sign_session_close(ss);
    sc.max_pages = 3;
    assert_int_equal(sign_session_open(&sc, local(), email, NULL, PASS, NULL, &ss, NULL, &err),
                     SERTEL_OK);
    assert_int_equal(fs_output_open(out, 0644, FS_OUTPUT_SHA256, &o, &err), SERTEL_OK);
    assert_int_equal(sign_pdf(ss, &po, in, o, id, &err), SERTEL_OK);
    assert_true(fs_exists(out));
    po.level = PADES_B_T;
    assert_int_equal(fs_output_open(out, 0644, FS_OUTPUT_SHA256, &o, &err), SERTEL_OK);
    assert_int_equal(sign_pdf(ss, &po, in, o, id, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "time-stamping"));
    sign_session_close(ss);
    ra_close(r);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_qr_link, t_setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch, t_setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids, t_setup, teardown),
        cmocka_unit_test_setup_teardown(test_why, t_setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_pages, t_setup, teardown),
    };
    FX_WORKER_MAIN(argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
