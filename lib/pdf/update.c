/*
 * update.c - the incremental-update writer (ISO 32000-1 §7.5.6): new
 * versions of objects appended after the original bytes, nothing before
 * them rewritten. Every object passes through pdf_upd_end, which encrypts
 * it like the file (ISO 32000-2 §7.6.2; a signature's /Contents stays in
 * the clear). The update ends with a cross-reference section in the form
 * of the file's newest one (a table, also for hybrid files, or a /Type
 * /XRef stream, §7.5.8), chained by /Prev, with /Root /Info /ID /Encrypt
 * kept; after a recovery it lists every object and has no /Prev.
 *
 * Used by the signature and document time-stamp revision (sign.c) and the
 * Document Security Store revision (dss.c).
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pdf/pdf_int.h"
#include "util/check.h"
#include "util/text.h"

void pdf_upd_init(pdf_update *u, pdf_doc *d, sertel_err *err)
{
    memset(u, 0, sizeof(*u));
    u->d = d;
    u->err = err;
    u->base = d->len;
    u->next = pdf_next_objnum(d);
    if (d->len > 0 && d->buf[d->len - 1] != '\n' && d->buf[d->len - 1] != '\r')
        pdf_buf_put(&u->b, "\n", 1);
}

void pdf_upd_free(pdf_update *u)
{
    pdf_buf_free(&u->b);
    free(u->ents);
    u->ents = NULL;
    u->n = u->cap = 0;
}

static void upd_fail(pdf_update *u, int rc)
{
    if (u->rc == SERTEL_OK)
        u->rc = rc;
}

int pdf_upd_status(pdf_update *u)
{
    if (u->rc != SERTEL_OK)
        return u->rc;
    if (u->b.failed)
        u->rc = sertel_err_set(
            u->err, u->b.failed == SERTEL_ERR_INVALID ? SERTEL_ERR_UNSUPPORTED : SERTEL_ERR_NOMEM,
            u->b.failed == SERTEL_ERR_INVALID
                ? "the new revision would be larger than sertel writes"
                : "out of memory building the new revision");
    return u->rc;
}

uint32_t pdf_upd_alloc(pdf_update *u)
{
    if (u->next + 1 >= PDF_MAX_OBJECTS) {
        upd_fail(u, sertel_err_set(u->err, SERTEL_ERR_UNSUPPORTED, "too many objects in the PDF"));
        return 0;
    }
    return u->next++;
}

static int add_ent(pdf_update *u, uint32_t num, uint16_t gen, int type, uint64_t off, uint32_t idx)
{
    if (u->n == u->cap) {
        size_t nc = u->cap ? u->cap * 2 : 16;
        pdf_upd_ent *ne = realloc(u->ents, nc * sizeof(*ne));
        if (ne == NULL) {
            u->b.failed = SERTEL_ERR_NOMEM;
            return -1;
        }
        u->ents = ne;
        u->cap = nc;
    }
    u->ents[u->n].num = num;
    u->ents[u->n].gen = gen;
    u->ents[u->n].type = type;
    u->ents[u->n].off = off;
    u->ents[u->n].idx = idx;
    u->n++;
    return 0;
}

void pdf_upd_begin(pdf_update *u, uint32_t num, uint16_t gen)
{
    const pdf_doc *d = u->d;

    if (num == 0) /* an allocation failed: the failure is recorded */
        return;
    if (d->crypt != NULL && d->crypt->encrypt_num != 0 && num == d->crypt->encrypt_num) {
        /* A hostile file made its /Encrypt dictionary play another part (a page, a field). */
        upd_fail(u, sertel_err_set(u->err, SERTEL_ERR_INVALID,
                                   "damaged PDF: object %u is the encryption dictionary and "
                                   "also has to be updated",
                                   num));
        return;
    }
    if (add_ent(u, num, gen, 1, u->base + u->b.len, 0) != 0)
        return;
    pdf_buf_printf(&u->b, "%u %u obj\n", num, (unsigned)gen);
    u->obj_start = u->b.len;
    u->cur_num = num;
    u->cur_gen = gen;
}

void pdf_upd_track(pdf_update *u, size_t *pos)
{
    SERTEL_ASSERT(u->ntrack < 2);
    if (u->ntrack < 2)
        u->track[u->ntrack++] = pos;
}

void pdf_upd_end(pdf_update *u)
{
    if (u->d->crypt != NULL && u->rc == SERTEL_OK && !u->b.failed) {
        int rc = pdf_crypt_object(u->d, &u->b, u->obj_start, u->cur_num, u->cur_gen, u->track,
                                  u->ntrack, u->err);
        if (rc != SERTEL_OK)
            upd_fail(u, rc);
    }
    u->ntrack = 0;
    pdf_buf_put(&u->b, "\nendobj\n", 8);
}

int pdf_put_text(pdf_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n = strlen(s);
    uint32_t cp;
    int ascii = 1;

    for (; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            ascii = 0;
    if (ascii) {
        pdf_buf_put(b, "(", 1);
        for (p = (const unsigned char *)s; *p; p++) {
            if (*p == '(' || *p == ')' || *p == '\\')
                pdf_buf_put(b, "\\", 1);
            pdf_buf_put(b, p, 1);
        }
        pdf_buf_put(b, ")", 1);
        return 0;
    }
    pdf_buf_put(b, "<FEFF", 5);
    while (i < n) {
        if (!text_utf8_next((const unsigned char *)s, n, &i, &cp))
            return -1;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            pdf_buf_printf(b, "%04X%04X", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
        } else {
            pdf_buf_printf(b, "%04X", cp);
        }
    }
    pdf_buf_put(b, ">", 1);
    return 0;
}

const pdf_obj *pdf_as_array(pdf_doc *d, const pdf_obj *o)
{
    o = pdf_resolve(d, o);
    return o != NULL && o->type == PDF_ARRAY ? o : NULL;
}

const pdf_obj *pdf_as_dict(pdf_doc *d, const pdf_obj *o)
{
    o = pdf_resolve(d, o);
    return o != NULL && o->type == PDF_DICT ? o : NULL;
}

void pdf_put_items_plus(pdf_buf *b, const pdf_obj *arr, uint32_t extra)
{
    size_t i;

    pdf_buf_put(b, "[", 1);
    for (i = 0; arr != NULL && i < arr->u.arr.n; i++) {
        pdf_buf_obj(b, arr->u.arr.items[i]);
        pdf_buf_put(b, " ", 1);
    }
    if (extra != 0)
        pdf_buf_printf(b, "%u 0 R", extra);
    pdf_buf_put(b, "]", 1);
}

void pdf_put_key(pdf_buf *b, const char *key)
{
    pdf_obj name = {.type = PDF_NAME};

    name.u.str.p = key;
    name.u.str.len = strlen(key);
    pdf_buf_obj(b, &name);
    pdf_buf_put(b, " ", 1);
}

void pdf_put_dict_except(pdf_buf *b, const pdf_obj *dict, const char *const *skip)
{
    size_t i, k;

    for (i = 0; dict != NULL && i < dict->u.dict.n; i++) {
        int drop = 0;
        for (k = 0; skip != NULL && skip[k]; k++)
            if (strcmp(dict->u.dict.keys[i], skip[k]) == 0)
                drop = 1;
        if (drop)
            continue;
        pdf_put_key(b, dict->u.dict.keys[i]);
        pdf_buf_obj(b, dict->u.dict.vals[i]);
        pdf_buf_put(b, "\n", 1);
    }
}

/* --- the cross-reference section --- */

static void sort_ents(pdf_upd_ent *e, size_t n)
{
    size_t i, j;

    /* insertion sort: the update lists a handful of objects (or, after recovery, sorted input) */
    for (i = 1; i < n; i++) {
        pdf_upd_ent x = e[i];
        for (j = i; j > 0 && e[j - 1].num > x.num; j--)
            e[j] = e[j - 1];
        e[j] = x;
    }
}

static void trailer_keys(pdf_doc *d, pdf_buf *b, uint32_t size, int with_prev)
{
    pdf_buf_printf(b, "/Size %u /Root ", size);
    pdf_buf_obj(b, d->t_root);
    if (d->t_info != NULL) {
        pdf_buf_put(b, " /Info ", 7);
        pdf_buf_obj(b, d->t_info);
    }
    if (d->t_id != NULL) {
        pdf_buf_put(b, " /ID ", 5);
        pdf_buf_obj(b, pdf_resolve(d, d->t_id));
    }
    if (d->t_encrypt != NULL) {
        /* the same reference (or the same direct dictionary, never decrypted) */
        pdf_buf_put(b, " /Encrypt ", 10);
        pdf_buf_obj(b, d->t_encrypt);
    }
    if (with_prev)
        pdf_buf_printf(b, " /Prev %llu", (unsigned long long)d->startxref);
}

static void write_table(pdf_update *u, uint32_t size)
{
    pdf_doc *d = u->d;
    uint64_t off = u->base + u->b.len;
    size_t i = 0, j;

    sort_ents(u->ents, u->n);
    pdf_buf_put(&u->b, "xref\n", 5);
    if (d->recovered)
        pdf_buf_put(&u->b, "0 1\n0000000000 65535 f\r\n", 24);
    while (i < u->n) {
        j = i;
        while (j + 1 < u->n && u->ents[j + 1].num == u->ents[j].num + 1)
            j++;
        pdf_buf_printf(&u->b, "%u %zu\n", u->ents[i].num, j - i + 1);
        for (; i <= j; i++)
            pdf_buf_printf(&u->b, "%010llu %05u n\r\n", (unsigned long long)u->ents[i].off,
                           (unsigned)u->ents[i].gen);
    }
    pdf_buf_put(&u->b, "trailer\n<<", 10);
    trailer_keys(d, &u->b, size, !d->recovered);
    pdf_buf_printf(&u->b, ">>\nstartxref\n%llu\n%%%%EOF\n", (unsigned long long)off);
}

static void write_stream(pdf_update *u, uint32_t xnum, uint32_t size)
{
    pdf_doc *d = u->d;
    uint64_t off = u->base + u->b.len, maxoff = off;
    size_t i = 0, j, k;
    int w2 = 1, w3 = 2;

    if ((d->recovered && add_ent(u, 0, 65535, 0, 0, 0) != 0) || add_ent(u, xnum, 0, 1, off, 0) != 0)
        return;
    sort_ents(u->ents, u->n);
    for (k = 0; k < u->n; k++) {
        if (u->ents[k].off > maxoff)
            maxoff = u->ents[k].off;
        if (u->ents[k].type == 2 && u->ents[k].idx > 0xffff)
            w3 = 4;
    }
    while (w2 < 8 && (maxoff >> (8 * w2)) != 0)
        w2++;
    pdf_buf_printf(&u->b, "%u 0 obj\n<</Type /XRef ", xnum);
    trailer_keys(d, &u->b, size, !d->recovered);
    pdf_buf_printf(&u->b, " /W [1 %d %d] /Index [", w2, w3);
    while (i < u->n) {
        j = i;
        while (j + 1 < u->n && u->ents[j + 1].num == u->ents[j].num + 1)
            j++;
        pdf_buf_printf(&u->b, "%s%u %zu", i ? " " : "", u->ents[i].num, j - i + 1);
        i = j + 1;
    }
    pdf_buf_printf(&u->b, "] /Length %zu>>\nstream\n", u->n * (size_t)(1 + w2 + w3));
    for (k = 0; k < u->n; k++) {
        unsigned char row[13];
        int x, p = 0;
        uint64_t f3 = u->ents[k].type == 2 ? u->ents[k].idx : u->ents[k].gen;
        row[p++] = (unsigned char)u->ents[k].type;
        for (x = w2 - 1; x >= 0; x--)
            row[p++] = (unsigned char)(u->ents[k].off >> (8 * x));
        for (x = w3 - 1; x >= 0; x--)
            row[p++] = (unsigned char)(f3 >> (8 * x));
        pdf_buf_put(&u->b, row, (size_t)p);
    }
    pdf_buf_printf(&u->b, "\nendstream\nendobj\nstartxref\n%llu\n%%%%EOF\n",
                   (unsigned long long)off);
}

/* After a recovery the new section lists every object (there is no /Prev to trust). */
static int list_all_objects(pdf_update *u, int *has_compressed)
{
    pdf_doc *d = u->d;
    size_t n = u->n, k;
    uint32_t i;

    *has_compressed = 0;
    for (i = 1; i < d->nxref && i < d->maxnum; i++) {
        int mine = 0;
        if (d->xref[i].type == 0)
            continue;
        for (k = 0; k < n && !mine; k++)
            mine = u->ents[k].num == i;
        if (mine)
            continue;
        if (d->xref[i].type == 2)
            *has_compressed = 1;
        if (add_ent(u, i, d->xref[i].type == 1 ? (uint16_t)d->xref[i].idx : 0, d->xref[i].type,
                    d->xref[i].off, d->xref[i].type == 2 ? d->xref[i].idx : 0) != 0)
            return -1;
    }
    return 0;
}

int pdf_upd_finish(pdf_update *u)
{
    int has_compressed = 0;
    uint32_t xnum = 0;

    if (u->d->recovered && list_all_objects(u, &has_compressed) != 0)
        return pdf_upd_status(u);
    if (u->d->kind == PDF_XREF_STREAM || has_compressed)
        xnum = pdf_upd_alloc(u);
    if (pdf_upd_status(u) != SERTEL_OK)
        return u->rc;
    if (xnum != 0)
        write_stream(u, xnum, u->next);
    else
        write_table(u, u->next);
    return pdf_upd_status(u);
}

int pdf_copy_original(pdf_doc *d, const char *in_path, fs_output *out, EVP_MD_CTX *md,
                      unsigned char *blk, sertel_err *err)
{
    uint64_t off;
    int rc;

    for (off = 0; off < d->len;) {
        size_t n = d->len - off > (1u << 20) ? (1u << 20) : (size_t)(d->len - off);
        ssize_t r = pread(d->fd, blk, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return sertel_err_set(err, SERTEL_ERR_IO, "reading %s: %s", in_path,
                                  r < 0 ? strerror(errno) : "the file shrank while being read");
        if (md != NULL && !EVP_DigestUpdate(md, blk, (size_t)r))
            return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot hash the document");
        if (out != NULL && (rc = fs_output_write(out, blk, (size_t)r, err)) != SERTEL_OK)
            return rc;
        off += (uint64_t)r;
    }
    return SERTEL_OK;
}

int pdf_finish_output(fs_output *out, int rc, sertel_err *err)
{
    if (rc != SERTEL_OK) {
        fs_output_abort(out);
        return rc;
    }
    return fs_output_commit(out, err);
}
