/*
 * sign.c - the owner's signing operation (sign.h): one authorization, then
 * one or many documents, each with its id drawn before signing so that the
 * stamp's QR code is the document's own verification link, recorded in
 * the register before its output is committed. PAdES baseline signatures
 * (ETSI EN 319 142-1) through pades_sign_to; detached CAdES (ETSI EN
 * 319 122-1) through cms_sign_to.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "sign/sign.h"

struct sign_session {
    sign_ctx ctx;
    ra_signer *sg;
};

int sign_session_open(const sign_ctx *ctx, const ra_actor *by, const char *email, const char *nik,
                      const char *passphrase, const char *otp, sign_session **out, ra_sign_why *why,
                      sertel_err *err)
{
    ra_signer *sg = NULL;
    int rc;

    *out = NULL;
    if (ctx->r == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "a signing context needs a home (ra)");
    rc = ra_sign_authorize_ex(ctx->r, by, email, nik, passphrase, otp, &sg, why, err);
    if (rc != SERTEL_OK)
        return rc;
    return sign_session_adopt(ctx, sg, out, err);
}

int sign_session_adopt(const sign_ctx *ctx, ra_signer *sg, sign_session **out, sertel_err *err)
{
    sign_session *s;

    *out = NULL;
    if (sg->key == NULL || sg->cert == NULL) {
        ra_signer_free(sg);
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the signer has no key or certificate");
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        ra_signer_free(sg);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    s->ctx = *ctx;
    s->sg = sg;
    *out = s;
    return SERTEL_OK;
}

const ra_signer *sign_session_signer(const sign_session *s)
{
    return s->sg;
}

void sign_session_close(sign_session *s)
{
    if (s == NULL)
        return;
    ra_signer_free(s->sg); /* the key is wiped by EVP_PKEY_free (OpenSSL cleanses private keys) */
    sodium_memzero(s, sizeof(*s));
    free(s);
}

int sign_doc_link(const sign_ctx *ctx, const char *id, char *buf, size_t cap, sertel_err *err)
{
    const char *base =
        conf_get_default(ca_get0_conf(ra_get0_ca(ctx->r)), "ca", "base_url", CA_DEFAULT_BASE_URL);
    size_t n = strlen(base);

    while (n > 0 && base[n - 1] == '/')
        n--;
    if ((size_t)snprintf(buf, cap, "%.*s/verify/%s", (int)n, base, id) >= cap)
        return sertel_err_set(err, SERTEL_ERR_CONFIG,
                              "[ca] base_url is too long for a verification link (at most %zu "
                              "bytes)",
                              cap - SIGN_ID_LEN - 9);
    return SERTEL_OK;
}

/*
 * Count the document's pages for the register (*pages; 0 when they cannot
 * be counted) and refuse a document with more pages than the context
 * allows (before any key is used on it).
 */
static int check_pages(const sign_session *s, const char *in_path, const char *password,
                       int64_t *pages, sertel_err *err)
{
    pdf_doc *d = NULL;
    size_t n = 0;
    int rc;

    *pages = 0;
    rc = pdf_open_file_pw(in_path, password, &d, err);
    if (rc == SERTEL_OK)
        rc = pdf_page_count(d, &n, err);
    pdf_close(d);
    if (rc != SERTEL_OK)
        /* Without a limit the count is only for people: signing decides whether it is a PDF. */
        return s->ctx.max_pages == 0 ? SERTEL_OK : rc;
    *pages = (int64_t)n;
    if (s->ctx.max_pages != 0 && n > s->ctx.max_pages)
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "the document has %zu pages; at most %zu are signed here ([api] "
                            "max_pages)",
                            n, s->ctx.max_pages);
    return rc;
}

/* The file name the register keeps for a path (no directories; NULL for standard input). */
static const char *path_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return strcmp(path, "-") == 0 ? NULL : slash != NULL ? slash + 1 : path;
}

/*
 * Sign one PDF into out under a new id (not recorded yet): the options the
 * caller gave, with the session's signer, the home's TSA when none was
 * given, and the document's link in the QR code unless overridden.
 */
static int sign_one(sign_session *s, const pades_opts *o, const char *in_path, fs_output *out,
                    char id[SIGN_ID_LEN + 1], int64_t *pages, sertel_err *err)
{
    pades_opts po = *o;
    pdf_sign_opts *sop = &po.sign;
    char qr[SIGN_QR_MAX];
    int rc;

    id[0] = '\0';
    if ((rc = check_pages(s, in_path, sop->password, pages, err)) != SERTEL_OK)
        return rc;
    ra_doc_id_new(id);
    sop->signer.key = s->sg->key;
    sop->signer.cert = s->sg->cert;
    sop->signer.chain = s->sg->chain;
    po.home = NULL;
    if (po.level >= PADES_B_T && sop->tsa.fn == NULL) {
        if (s->ctx.services == NULL) {
            id[0] = '\0';
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "%s needs a time-stamping authority: the home's services or a "
                                  "TSA URL",
                                  pades_level_name(po.level));
        }
        sop->tsa.fn = pki_tsa_exchange;
        sop->tsa.arg = s->ctx.services;
        po.home = s->ctx.services;
    }
    if (sop->position == NULL && s->sg->position[0] != '\0')
        sop->position = s->sg->position; /* as registered */
    if ((sop->visible || sop->field != NULL) && sop->qr_text == NULL) {
        if ((rc = sign_doc_link(&s->ctx, id, qr, sizeof(qr), err)) != SERTEL_OK) {
            id[0] = '\0';
            return rc;
        }
        sop->qr_text = qr;
    }
    rc = pades_sign_to(in_path, out, &po, err);
    if (rc != SERTEL_OK)
        id[0] = '\0';
    return rc;
}

int sign_pdf(sign_session *s, const pades_opts *o, const char *in_path, fs_output *out,
             char id[SIGN_ID_LEN + 1], sertel_err *err)
{
    sign_doc d;
    int rc;

    memset(&d, 0, sizeof(d));
    d.in_path = in_path;
    d.name = path_name(in_path);
    d.out = out;
    d.o = o;
    rc = sign_pdf_batch(s, &d, 1, err);
    if (d.rc != SERTEL_OK) {
        *err = d.err;
        rc = d.rc;
    }
    memcpy(id, rc == SERTEL_OK ? d.id : "", rc == SERTEL_OK ? sizeof(d.id) : 1);
    return rc;
}

int sign_pdf_batch(sign_session *s, sign_doc *docs, size_t n, sertel_err *err)
{
    ra_sign_rec *recs = NULL;
    const char *level;
    size_t i, nrec = 0;
    int rc = SERTEL_OK;

    recs = calloc(n > 0 ? n : 1, sizeof(*recs));
    if (recs == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        for (i = 0; i < n; i++) {
            fs_output_abort(docs[i].out);
            docs[i].out = NULL;
            docs[i].rc = rc;
            docs[i].err = *err;
            docs[i].id[0] = '\0';
        }
        return rc;
    }
    /* Sign each; a document that fails is reported and does not stop the others. */
    for (i = 0; i < n; i++) {
        sign_doc *d = &docs[i];
        sertel_err_clear(&d->err);
        d->rc = sign_one(s, d->o, d->in_path, d->out, d->id, &recs[nrec].meta.pages, &d->err);
        if (d->rc == SERTEL_OK)
            d->rc = fs_output_sha256(d->out, recs[nrec].md, &d->err);
        if (d->rc != SERTEL_OK) {
            fs_output_abort(d->out);
            d->out = NULL;
            d->id[0] = '\0';
            continue;
        }
        level = pades_level_name(d->o->level);
        memcpy(recs[nrec].id, d->id, sizeof(recs[nrec].id));
        recs[nrec].level = level != NULL ? level : "B-B";
        recs[nrec].meta.name = d->name;
        nrec++;
    }
    /* Then the register, in one transaction: the signed files exist only once it is durable. */
    if (nrec > 0)
        rc = ra_sign_record_ids(s->ctx.r, s->sg, recs, nrec, err);
    for (i = 0; i < n; i++) {
        sign_doc *d = &docs[i];
        if (d->out == NULL)
            continue;
        if (rc != SERTEL_OK) {
            d->err = *err;
            if (fs_output_can_rewind(d->out))
                sertel_err_prefix(&d->err, "the signed file was not kept");
            else
                sertel_err_prefix(&d->err,
                                  "%s received a signature that is not recorded: discard it",
                                  fs_output_name(d->out));
            fs_output_abort(d->out);
            d->rc = rc;
            d->id[0] = '\0';
        } else if ((d->rc = fs_output_commit(d->out, &d->err)) != SERTEL_OK) {
            sertel_err_prefix(&d->err, "document %s is in the register, but", d->id);
        }
        d->out = NULL;
    }
    free(recs);
    return rc;
}

int sign_detached(sign_session *s, const char *in_path, pades_level level, const cms_tsa *tsa,
                  fs_output *out, char id[SIGN_ID_LEN + 1], sertel_err *err)
{
    cms_signer cs;
    cms_tsa home;
    ra_doc_meta meta;
    char lvl[32];
    int rc;

    id[0] = '\0';
    if (level > PADES_B_T) {
        fs_output_abort(out);
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s applies to PDFs; a detached signature goes up to B-T",
                              pades_level_name(level));
    }
    if (level == PADES_B_T && (tsa == NULL || tsa->fn == NULL)) {
        if (s->ctx.services == NULL) {
            fs_output_abort(out);
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "B-T needs a time-stamping authority: the home's services or a "
                                  "TSA URL");
        }
        home.fn = pki_tsa_exchange;
        home.arg = s->ctx.services;
        tsa = &home;
    }
    cs.key = s->sg->key;
    cs.cert = s->sg->cert;
    cs.chain = s->sg->chain;
    rc = cms_sign_to(in_path, out, &cs, level == PADES_B_T ? tsa : NULL, err);
    if (rc != SERTEL_OK) {
        fs_output_abort(out);
        return rc;
    }
    snprintf(lvl, sizeof(lvl), "CAdES %s", pades_level_name(level));
    ra_doc_id_new(id);
    meta.name = path_name(in_path);
    meta.pages = 0;
    rc = ra_sign_commit_id(s->ctx.r, s->sg, out, lvl, &meta, id, err);
    if (rc != SERTEL_OK)
        id[0] = '\0'; /* the message names it when it reached the register */
    return rc;
}
