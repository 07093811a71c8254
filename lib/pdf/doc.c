/*
 * doc.c - opening a PDF (ISO 32000-1 §7.5.2 header, §7.5.5 trailer), the
 * document catalog (§7.7.2) and the page tree (§7.7.3) with inherited
 * page attributes (§7.7.3.4).
 *
 * The file is mapped read-only: the reader touches only the pages that
 * hold the structure it parses, so a large PDF costs little memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pdf/pdf_int.h"

void pdf_arena_free_all(pdf_doc *d);

static int open_common(pdf_doc *d, const char *password, int decrypt, sertel_err *err)
{
    int rc;

    if (d->len < 8 || memcmp(d->buf, "%PDF-", 5) != 0) {
        /* Some mailers and web servers prepend bytes (headers, a BOM). Readers
         * disagree on whether offsets then count from the header or from the
         * file's start, so a signature over such a file would mean different
         * documents to different readers: name the fix instead. */
        const unsigned char *h =
            d->len > 5 ? memmem(d->buf, d->len < 1024 ? d->len : 1024, "%PDF-", 5) : NULL;
        if (h != NULL)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "not a clean PDF file: %zu bytes precede the %%PDF- header; "
                                  "remove them first (tail -c +%zu IN.pdf > fixed.pdf)",
                                  (size_t)(h - d->buf), (size_t)(h - d->buf) + 1);
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "not a PDF file: it does not start with %%PDF-");
    }
    if (d->buf[5] >= '1' && d->buf[5] <= '9' && d->buf[6] == '.' && d->buf[7] >= '0' &&
        d->buf[7] <= '9')
        d->header_version = (d->buf[5] - '0') * 10 + (d->buf[7] - '0');
    else
        return sertel_err_set(err, SERTEL_ERR_INVALID, "not a PDF file: bad version in header");
    rc = pdf_read_xref(d, err);
    if (rc != SERTEL_OK)
        return rc;
    if (d->t_encrypt != NULL) {
        d->encrypted = 1;
        return decrypt ? pdf_crypt_open(d, password, err) : SERTEL_OK;
    }
    return SERTEL_OK;
}

int pdf_open_mem(const unsigned char *data, size_t len, pdf_doc **out, sertel_err *err)
{
    return pdf_open_mem_pw(data, len, NULL, out, err);
}

static int open_mem(const unsigned char *data, size_t len, const char *password, int decrypt,
                    pdf_doc *index_of, pdf_doc **out, sertel_err *err)
{
    pdf_doc *d = calloc(1, sizeof(*d));
    int rc;

    if (d == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    d->fd = -1;
    d->endstreams_of = index_of;
    d->buf = data;
    d->len = data ? len : 0;
    rc = open_common(d, password, decrypt, err);
    if (rc != SERTEL_OK) {
        pdf_close(d);
        return rc;
    }
    *out = d;
    return SERTEL_OK;
}

int pdf_open_mem_pw(const unsigned char *data, size_t len, const char *password, pdf_doc **out,
                    sertel_err *err)
{
    return open_mem(data, len, password, 1, NULL, out, err);
}

int pdf_open_mem_raw(const unsigned char *data, size_t len, pdf_doc **out, sertel_err *err)
{
    return open_mem(data, len, NULL, 0, NULL, out, err);
}

int pdf_open_prefix(pdf_doc *full, size_t len, const char *password, int raw, pdf_doc **out,
                    sertel_err *err)
{
    if (len > full->len)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "a revision beyond the end of the file");
    return open_mem(full->buf, len, password, !raw,
                    full->endstreams_of != NULL ? full->endstreams_of : full, out, err);
}

int pdf_open_file(const char *path, pdf_doc **out, sertel_err *err)
{
    return pdf_open_file_pw(path, NULL, out, err);
}

int pdf_open_file_pw(const char *path, const char *password, pdf_doc **out, sertel_err *err)
{
    pdf_doc *d = NULL;
    struct stat st;
    int fd, rc;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is not a regular file", path);
    }
    d = calloc(1, sizeof(*d));
    if (d == NULL) {
        close(fd);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    d->fd = fd;
    d->len = (size_t)st.st_size;
    if (d->len > 0) {
        d->map = mmap(NULL, d->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (d->map == MAP_FAILED) {
            d->map = NULL;
            rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot map %s: %s", path, strerror(errno));
            goto fail;
        }
        d->buf = d->map;
    }
    rc = open_common(d, password, 1, err);
    if (rc != SERTEL_OK) {
        sertel_err_prefix(err, "%s", path);
        goto fail;
    }
    *out = d;
    return SERTEL_OK;
fail:
    pdf_close(d);
    return rc;
}

void pdf_close(pdf_doc *d)
{
    size_t i;

    if (d == NULL)
        return;
    for (i = 0; i < OBJSTM_CACHE; i++) {
        free(d->cache[i].data);
        free(d->cache[i].offs);
    }
    free(d->xref);
    free(d->objcache);
    free(d->endstreams);
    pdf_crypt_free(d->crypt);
    pdf_arena_free_all(d);
    if (d->map)
        munmap(d->map, d->len);
    if (d->fd >= 0)
        close(d->fd);
    free(d);
}

size_t pdf_file_size(const pdf_doc *d)
{
    return d->len;
}

uint64_t pdf_startxref(const pdf_doc *d)
{
    return d->startxref;
}

pdf_xref_kind pdf_xref_form(const pdf_doc *d)
{
    return d->kind;
}

int pdf_was_recovered(const pdf_doc *d)
{
    return d->recovered;
}

int pdf_is_encrypted(const pdf_doc *d)
{
    return d->encrypted;
}

unsigned pdf_section_count(const pdf_doc *d)
{
    return d->nsections;
}

uint32_t pdf_next_objnum(const pdf_doc *d)
{
    uint32_t n = d->maxnum;

    if (d->t_size > 0 && (uint64_t)d->t_size > n && d->t_size <= PDF_MAX_OBJECTS)
        n = (uint32_t)d->t_size;
    return n;
}

const pdf_obj *pdf_trailer(const pdf_doc *d)
{
    return d->trailer;
}

int pdf_catalog(pdf_doc *d, const pdf_obj **out, uint32_t *num, uint16_t *gen, sertel_err *err)
{
    const pdf_obj *c;

    if (d->t_root == NULL || d->t_root->type != PDF_REF)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: the trailer has no /Root");
    c = pdf_resolve(d, d->t_root);
    if (c == NULL || c->type != PDF_DICT)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "damaged PDF: the document catalog cannot be read");
    *out = c;
    if (num)
        *num = d->t_root->u.ref.num;
    if (gen)
        *gen = d->t_root->u.ref.gen;
    return SERTEL_OK;
}

int pdf_version(pdf_doc *d)
{
    const pdf_obj *cat = NULL, *v;
    int ver = d->header_version;

    if (pdf_catalog(d, &cat, NULL, NULL, NULL) == SERTEL_OK &&
        (v = pdf_resolve(d, pdf_dict_get(cat, "Version"))) != NULL && v->type == PDF_NAME &&
        v->u.str.len == 3 && v->u.str.p[0] >= '1' && v->u.str.p[0] <= '9' && v->u.str.p[1] == '.' &&
        v->u.str.p[2] >= '0' && v->u.str.p[2] <= '9') {
        int cv = (v->u.str.p[0] - '0') * 10 + (v->u.str.p[2] - '0');
        if (cv > ver)
            ver = cv;
    }
    return ver;
}

static int is_leaf(const pdf_obj *n)
{
    return pdf_is_name(pdf_dict_get(n, "Type"), "Page") ||
           (pdf_dict_get(n, "Kids") == NULL && !pdf_is_name(pdf_dict_get(n, "Type"), "Pages"));
}

int pdf_page_count(pdf_doc *d, size_t *count, sertel_err *err)
{
    const pdf_obj *cat = NULL, *pages;
    int64_t n;
    int rc = pdf_catalog(d, &cat, NULL, NULL, err);

    if (rc != SERTEL_OK)
        return rc;
    pages = pdf_resolve(d, pdf_dict_get(cat, "Pages"));
    if (pages == NULL || pages->type != PDF_DICT ||
        pdf_get_int(pdf_resolve(d, pdf_dict_get(pages, "Count")), &n) != 0 || n < 0 ||
        n > (int64_t)PDF_MAX_OBJECTS)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: bad page tree root");
    *count = (size_t)n;
    return SERTEL_OK;
}

/* Walk from the root with /Count, descending only into the subtree that holds the page. */
int pdf_page_get(pdf_doc *d, size_t index, pdf_page *out, sertel_err *err)
{
    const pdf_obj *cat = NULL, *node, *ref;
    size_t remaining, depth;
    int rc = pdf_catalog(d, &cat, NULL, NULL, err);

    if (rc != SERTEL_OK)
        return rc;
    if (index == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "page numbers start at 1");
    memset(out, 0, sizeof(*out));
    ref = pdf_dict_get(cat, "Pages");
    node = pdf_resolve(d, ref);
    remaining = index - 1;
    for (depth = 0; depth <= PDF_MAX_DEPTH; depth++) {
        const pdf_obj *kids, *v;
        size_t i;
        int descended = 0;

        if (node == NULL || node->type != PDF_DICT || ref == NULL || ref->type != PDF_REF)
            return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: bad page tree node");
        if ((v = pdf_dict_get(node, "MediaBox")) != NULL)
            out->mediabox = v;
        if ((v = pdf_dict_get(node, "Resources")) != NULL)
            out->resources = v;
        if ((v = pdf_dict_get(node, "Rotate")) != NULL)
            out->rotate = v;
        if (depth > 0 && is_leaf(node)) {
            if (remaining != 0)
                break;
            out->num = ref->u.ref.num;
            out->gen = ref->u.ref.gen;
            out->dict = node;
            return SERTEL_OK;
        }
        kids = pdf_resolve(d, pdf_dict_get(node, "Kids"));
        if (kids == NULL || kids->type != PDF_ARRAY)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "damaged PDF: page tree node without /Kids");
        for (i = 0; i < kids->u.arr.n; i++) {
            const pdf_obj *k = pdf_resolve(d, kids->u.arr.items[i]);
            int64_t c;
            if (k == NULL || k->type != PDF_DICT)
                continue;
            if (is_leaf(k)) {
                c = 1;
            } else if (pdf_get_int(pdf_resolve(d, pdf_dict_get(k, "Count")), &c) != 0 || c < 0) {
                return sertel_err_set(err, SERTEL_ERR_INVALID,
                                      "damaged PDF: page tree node without /Count");
            }
            if (remaining < (uint64_t)c) {
                ref = kids->u.arr.items[i];
                node = k;
                descended = 1;
                break;
            }
            remaining -= (size_t)c;
        }
        if (!descended)
            break;
    }
    if (depth > PDF_MAX_DEPTH)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: page tree too deep");
    return sertel_err_set(err, SERTEL_ERR_NOTFOUND, "page %zu does not exist in this document",
                          index);
}

int pdf_pdfa_part(pdf_doc *d)
{
    const pdf_obj *cat = NULL, *md;
    uint32_t num;
    uint16_t gen;
    unsigned char *x = NULL;
    size_t len = 0, i;
    sertel_err e = {0};
    int part = 0;

    if (pdf_catalog(d, &cat, &num, &gen, &e) != SERTEL_OK)
        return 0;
    md = pdf_resolve(d, pdf_dict_get(cat, "Metadata"));
    if (md == NULL || md->type != PDF_STREAM ||
        pdf_stream_decode(d, md, 4u << 20, &x, &len, &e) != SERTEL_OK)
        return 0;
    /* pdfaid:part="2" (an attribute) or <pdfaid:part>2</pdfaid:part> (an element). */
    for (i = 0; i + 13 < len && part == 0; i++) {
        if (memcmp(x + i, "pdfaid:part", 11) != 0)
            continue;
        i += 11;
        while (i < len &&
               (x[i] == '=' || x[i] == '"' || x[i] == '\'' || x[i] == '>' || x[i] == ' '))
            i++;
        if (i < len && x[i] >= '1' && x[i] <= '4')
            part = x[i] - '0';
    }
    free(x);
    return part;
}
