/*
 * dss.c - the Document Security Store revision of PAdES B-LT (ETSI EN
 * 319 142-1 §5.4; ISO 32000-2 §12.8.4.3 and §12.8.4.4): certificates, OCSP
 * responses and CRLs as uncompressed streams, and per signature a VRI
 * entry (keyed by the SHA-1 of its /Contents) naming those that validate
 * it.
 *
 * What a DSS already holds is kept, so that validators comparing revisions
 * (pyHanko's DSS rule, sertel's own) see only additions: a new DSS object
 * (the catalog's /DSS pointing at it) with the old one's other keys as
 * they were, /Certs, /OCSPs and /CRLs holding the old items (also those of
 * indirect arrays) and then the new, and /VRI holding every old entry as
 * it was written (the same references) and then the new ones. Items
 * already in the DSS (the same bytes) are not added again. Nothing but the
 * catalog is rewritten: an object of the old DSS never gets a new version.
 */
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf_int.h"

#define DSS_ITEM_MAX ((size_t)64 << 20)  /* bytes of one certificate, OCSP response or CRL */
#define DSS_DEDUP_MAX ((size_t)64 << 20) /* bytes of old items decoded to find duplicates */

static const char *const groups[3] = {"Certs", "OCSPs", "CRLs"};
static const char *const vri_keys[3] = {"Cert", "OCSP", "CRL"};

/* One group's items: the new ones given, where each went (its object number). */
typedef struct dss_group {
    const pdf_bytes *items;
    size_t n;
    uint32_t *num; /* the object holding item i (a new one, or the old one with the same bytes) */
} dss_group;

/* Old items' decoded bytes, for finding duplicates within a bounded budget. */
typedef struct old_items {
    const pdf_obj *arr; /* the old array (resolved) */
    unsigned char **data;
    size_t *len;
    int *tried;
} old_items;

/* The object number of an old item with exactly the bytes of it, 0 when none (or unknown). */
static uint32_t find_old(pdf_doc *d, old_items *o, const pdf_bytes *it, size_t *budget)
{
    size_t i;

    for (i = 0; o->arr != NULL && i < o->arr->u.arr.n; i++) {
        const pdf_obj *ref = o->arr->u.arr.items[i], *s;
        if (ref->type != PDF_REF)
            continue;
        if (!o->tried[i]) {
            sertel_err e = {0};
            o->tried[i] = 1;
            s = pdf_resolve(d, ref);
            if (s == NULL || s->type != PDF_STREAM || *budget == 0 ||
                pdf_stream_decode(d, s, *budget < DSS_ITEM_MAX ? *budget : DSS_ITEM_MAX,
                                  &o->data[i], &o->len[i], &e) != SERTEL_OK)
                continue;
            *budget -= o->len[i] < *budget ? o->len[i] : *budget;
        }
        if (o->data[i] != NULL && o->len[i] == it->len && memcmp(o->data[i], it->p, it->len) == 0)
            return ref->u.ref.num;
    }
    return 0;
}

static void old_items_free(old_items *o)
{
    size_t i;

    for (i = 0; o->arr != NULL && o->data != NULL && i < o->arr->u.arr.n; i++)
        free(o->data[i]);
    free(o->data);
    free(o->len);
    free(o->tried);
}

/* The items of each group as stream objects (or the old object with the same bytes). */
static int write_items(pdf_update *u, pdf_doc *d, const pdf_obj *dss, dss_group *g, sertel_err *err)
{
    size_t k, i, budget = DSS_DEDUP_MAX;
    int rc = SERTEL_OK;

    for (k = 0; k < 3 && rc == SERTEL_OK; k++) {
        old_items o = {0};
        o.arr = pdf_as_array(d, pdf_dict_get(dss, groups[k]));
        if (o.arr != NULL && o.arr->u.arr.n > 0) {
            o.data = calloc(o.arr->u.arr.n, sizeof(*o.data));
            o.len = calloc(o.arr->u.arr.n, sizeof(*o.len));
            o.tried = calloc(o.arr->u.arr.n, sizeof(*o.tried));
            if (o.data == NULL || o.len == NULL || o.tried == NULL) {
                old_items_free(&o);
                return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
            }
        }
        for (i = 0; i < g[k].n && rc == SERTEL_OK; i++) {
            const pdf_bytes *it = &g[k].items[i];
            if (it->len == 0 || it->len > DSS_ITEM_MAX) {
                rc = sertel_err_set(err, SERTEL_ERR_INVALID, "a DSS item has a bad size");
                break;
            }
            if ((g[k].num[i] = find_old(d, &o, it, &budget)) != 0)
                continue;
            g[k].num[i] = pdf_upd_alloc(u);
            pdf_upd_begin(u, g[k].num[i], 0);
            pdf_buf_printf(&u->b, "<</Length %zu>>\nstream\n", it->len);
            pdf_buf_put(&u->b, it->p, it->len);
            pdf_buf_put(&u->b, "\nendstream", 10);
            pdf_upd_end(u);
        }
        old_items_free(&o);
    }
    return rc == SERTEL_OK ? pdf_upd_status(u) : rc;
}

/* 1 when object num is among arr's references. */
static int has_ref(const pdf_obj *arr, uint32_t num)
{
    size_t i;

    for (i = 0; arr != NULL && i < arr->u.arr.n; i++)
        if (arr->u.arr.items[i]->type == PDF_REF && arr->u.arr.items[i]->u.ref.num == num)
            return 1;
    return 0;
}

/* The old items followed by the new objects not among them (duplicates given once). */
static void put_group_items(pdf_buf *b, const pdf_obj *old, const dss_group *g)
{
    size_t i, j;

    pdf_buf_put(b, "[", 1);
    for (i = 0; old != NULL && i < old->u.arr.n; i++) {
        pdf_buf_obj(b, old->u.arr.items[i]);
        pdf_buf_put(b, " ", 1);
    }
    for (i = 0; i < g->n; i++) {
        int dup = has_ref(old, g->num[i]);
        for (j = 0; j < i && !dup; j++)
            dup = g->num[j] == g->num[i];
        if (!dup)
            pdf_buf_printf(b, "%u 0 R ", g->num[i]);
    }
    pdf_buf_put(b, "]", 1);
}

/* The uppercase hex of a VRI key: its name in /VRI (ETSI EN 319 142-1 §5.4.2.2). */
static void vri_name(const unsigned char key[20], char out[41])
{
    static const char hexd[] = "0123456789ABCDEF";
    size_t i;

    for (i = 0; i < 20; i++) {
        out[2 * i] = hexd[key[i] >> 4];
        out[2 * i + 1] = hexd[key[i] & 15];
    }
    out[40] = '\0';
}

/* The new VRI entries (not already in old /VRI) as objects; their numbers into nums. */
static void write_vri_entries(pdf_update *u, const pdf_obj *old_vri, const pdf_dss *in,
                              const dss_group *g, uint32_t *nums)
{
    size_t v, k, i;

    for (v = 0; v < in->nvri; v++) {
        const pdf_vri *e = &in->vri[v];
        const size_t *idx[3] = {e->certs, e->ocsps, e->crls};
        size_t cnt[3] = {e->ncerts, e->nocsps, e->ncrls};
        char name[41];
        vri_name(e->key, name);
        nums[v] = 0;
        if (pdf_dict_get(old_vri, name) != NULL)
            continue; /* an entry a revision before wrote stays as it is */
        for (i = 0; i < v; i++)
            if (memcmp(in->vri[i].key, e->key, 20) == 0)
                break;
        if (i < v)
            continue; /* given twice: the first one */
        nums[v] = pdf_upd_alloc(u);
        pdf_upd_begin(u, nums[v], 0);
        pdf_buf_put(&u->b, "<</Type /VRI", 12);
        for (k = 0; k < 3; k++) {
            if (cnt[k] == 0)
                continue;
            pdf_buf_printf(&u->b, " /%s [", vri_keys[k]);
            for (i = 0; i < cnt[k]; i++)
                if (idx[k][i] < g[k].n)
                    pdf_buf_printf(&u->b, "%u 0 R ", g[k].num[idx[k][i]]);
            pdf_buf_put(&u->b, "]", 1);
        }
        pdf_buf_put(&u->b, ">>", 2);
        pdf_upd_end(u);
    }
}

/* The /VRI dictionary's entries: the old ones as written, then the new. */
static void put_vri_body(pdf_buf *b, const pdf_obj *old_vri, const pdf_dss *in,
                         const uint32_t *nums)
{
    size_t v;

    pdf_buf_put(b, "<<", 2);
    pdf_put_dict_except(b, old_vri, NULL);
    for (v = 0; v < in->nvri; v++) {
        char name[41];
        if (nums[v] == 0)
            continue;
        vri_name(in->vri[v].key, name);
        pdf_put_key(b, name);
        pdf_buf_printf(b, "%u 0 R\n", nums[v]);
    }
    pdf_buf_put(b, ">>", 2);
}

/* The DSS dictionary: other keys as they were, each group and /VRI extended. */
static void put_dss(pdf_update *u, pdf_doc *d, const pdf_obj *dss, const pdf_dss *in,
                    const dss_group *g, const uint32_t *vri_nums, int any_vri)
{
    static const char *const skip[] = {"Certs", "OCSPs", "CRLs", "VRI", NULL};
    const pdf_obj *old_vri = pdf_as_dict(d, pdf_dict_get(dss, "VRI"));
    size_t k;

    pdf_buf_put(&u->b, "<<", 2);
    pdf_put_dict_except(&u->b, dss, skip);
    for (k = 0; k < 3; k++) {
        const pdf_obj *old = pdf_as_array(d, pdf_dict_get(dss, groups[k]));
        if (old == NULL && g[k].n == 0)
            continue;
        pdf_put_key(&u->b, groups[k]);
        put_group_items(&u->b, old, &g[k]);
        pdf_buf_put(&u->b, "\n", 1);
    }
    if (old_vri != NULL || any_vri) {
        pdf_buf_put(&u->b, "/VRI ", 5);
        put_vri_body(&u->b, old_vri, in, vri_nums);
    }
    pdf_buf_put(&u->b, ">>", 2);
}

/* The revision: items, VRI entries, the DSS (and its parts), the catalog when needed. */
static int build_dss(pdf_update *u, pdf_doc *d, const pdf_dss *in, sertel_err *err)
{
    static const char *const skip[] = {"DSS", NULL};
    const size_t counts[3] = {in->ncerts, in->nocsps, in->ncrls};
    const pdf_bytes *items[3] = {in->certs, in->ocsps, in->crls};
    const pdf_obj *cat, *dss;
    dss_group g[3];
    uint32_t catnum, dss_num, *vri_nums = NULL;
    uint16_t catgen;
    size_t k, v;
    int rc, any_vri = 0;

    memset(g, 0, sizeof(g));
    if ((rc = pdf_catalog(d, &cat, &catnum, &catgen, err)) != SERTEL_OK)
        return rc;
    dss = pdf_as_dict(d, pdf_dict_get(cat, "DSS"));
    for (k = 0; k < 3; k++) {
        g[k].items = items[k];
        g[k].n = counts[k];
        g[k].num = calloc(counts[k] ? counts[k] : 1, sizeof(uint32_t));
        if (g[k].num == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    vri_nums = calloc(in->nvri ? in->nvri : 1, sizeof(*vri_nums));
    if (vri_nums == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = write_items(u, d, dss, g, err)) != SERTEL_OK)
        goto out;
    write_vri_entries(u, pdf_as_dict(d, pdf_dict_get(dss, "VRI")), in, g, vri_nums);
    for (v = 0; v < in->nvri; v++)
        any_vri |= vri_nums[v] != 0;
    dss_num = pdf_upd_alloc(u);
    pdf_upd_begin(u, dss_num, 0);
    put_dss(u, d, dss, in, g, vri_nums, any_vri);
    pdf_upd_end(u);
    pdf_upd_begin(u, catnum, catgen);
    pdf_buf_put(&u->b, "<<", 2);
    pdf_put_dict_except(&u->b, cat, skip);
    pdf_buf_printf(&u->b, "/DSS %u 0 R>>", dss_num);
    pdf_upd_end(u);
    rc = pdf_upd_finish(u);
out:
    for (k = 0; k < 3; k++)
        free(g[k].num);
    free(vri_nums);
    return rc;
}

int pdf_add_dss_to(const char *in_path, fs_output *out, const char *password, const pdf_dss *dss,
                   sertel_err *err)
{
    pdf_doc *d = NULL;
    pdf_update u;
    unsigned char *blk = NULL;
    int rc;

    if (fs_output_same(out, in_path))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the output must be a new file, not the input itself");
    if ((rc = pdf_open_file_pw(in_path, password, &d, err)) != SERTEL_OK)
        return rc;
    pdf_upd_init(&u, d, err);
    if (d->recovered) {
        rc = sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                            "a Document Security Store is only added to an intact PDF");
        goto out;
    }
    if ((rc = build_dss(&u, d, dss, err)) != SERTEL_OK)
        goto out;
    /* Original bytes, then the update. */
    if ((blk = malloc(1 << 20)) == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = pdf_copy_original(d, in_path, out, NULL, blk, err)) == SERTEL_OK)
        rc = fs_output_write(out, u.b.p, u.b.len, err);
out:
    free(blk);
    pdf_upd_free(&u);
    pdf_close(d);
    return rc;
}

int pdf_add_dss_file(const char *in_path, const char *out_path, const char *password,
                     const pdf_dss *dss, sertel_err *err)
{
    fs_output *out = NULL;
    int rc = fs_output_open(out_path, 0644, 0, &out, err);

    if (rc != SERTEL_OK)
        return rc;
    return pdf_finish_output(out, pdf_add_dss_to(in_path, out, password, dss, err), err);
}

int pdf_dss_certs(pdf_doc *d, void (*fn)(void *arg, const unsigned char *der, size_t len),
                  void *arg, sertel_err *err)
{
    const pdf_obj *cat, *arr;
    uint32_t catnum;
    uint16_t catgen;
    size_t i, left = DSS_DEDUP_MAX;
    int rc;

    if ((rc = pdf_catalog(d, &cat, &catnum, &catgen, err)) != SERTEL_OK)
        return rc;
    arr = pdf_as_array(d, pdf_dict_get(pdf_as_dict(d, pdf_dict_get(cat, "DSS")), "Certs"));
    for (i = 0; arr != NULL && i < arr->u.arr.n && left > 0; i++) {
        const pdf_obj *s = pdf_resolve(d, arr->u.arr.items[i]);
        unsigned char *der = NULL;
        size_t len = 0;
        sertel_err e = {0};
        if (s == NULL || s->type != PDF_STREAM ||
            pdf_stream_decode(d, s, left < (1u << 20) ? left : (1u << 20), &der, &len, &e) !=
                SERTEL_OK)
            continue; /* a damaged item is no certificate */
        left -= len < left ? len : left;
        fn(arg, der, len);
        free(der);
    }
    return SERTEL_OK;
}
