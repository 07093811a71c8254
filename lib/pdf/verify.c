/*
 * verify.c - the PDF half of signature validation: finding the
 * signatures, the /ByteRange and /Contents checks that defeat Universal
 * Signature Forgery and Signature Wrapping, the map from signatures to
 * revisions, the analysis of what later revisions changed (Incremental
 * Saving, shadow attacks), duplicate object numbers, and the detached
 * CMS entry point.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pdf/pdf_int.h"
#include "pdf/verify_int.h"
#include "util/fs.h"
#include "util/hex.h"

#define MAX_FIELDS 10000
#define MAX_FIELD_DEPTH 16
#define MAX_DUPS 64 /* object numbers defined twice, named */

const char *vfy_conclusion_name(vfy_conclusion c)
{
    switch (c) {
    case VFY_TOTAL_PASSED:
        return "TOTAL_PASSED";
    case VFY_INDETERMINATE:
        return "INDETERMINATE";
    default:
        return "TOTAL_FAILED";
    }
}

static int blank(const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!pdf_is_ws(p[i]))
            return 0;
    return 1;
}

/* End of the %%EOF marker (with its end-of-line) ending exactly at e, or 0. */
static int eof_ends_at(const unsigned char *buf, size_t e)
{
    size_t k = e;

    if (k > 0 && buf[k - 1] == '\n')
        k--;
    if (k > 0 && buf[k - 1] == '\r')
        k--;
    return k >= 5 && memcmp(buf + k - 5, "%%EOF", 5) == 0;
}

int vfy_check_byterange(const unsigned char *buf, size_t len, const pdf_obj *br, uint64_t out[4],
                        const char **why)
{
    uint64_t v[4];
    size_t i;

    if (br == NULL || br->type == PDF_NULL) {
        *why = "the signature has no /ByteRange";
        return -1;
    }
    if (br->type != PDF_ARRAY) {
        *why = "/ByteRange is not an array";
        return -1;
    }
    if (br->u.arr.n != 4) {
        *why = "/ByteRange must hold exactly 4 numbers";
        return -1;
    }
    for (i = 0; i < 4; i++) {
        const pdf_obj *x = br->u.arr.items[i];
        if (x == NULL || x->type != PDF_INT || x->u.integer < 0) {
            *why = "/ByteRange holds something other than non-negative integers";
            return -1;
        }
        v[i] = (uint64_t)x->u.integer;
    }
    if (v[0] != 0) {
        *why = "/ByteRange does not start at 0";
        return -1;
    }
    if (v[1] == 0 || v[1] >= v[2] || v[1] > len || v[2] > len) {
        *why = "/ByteRange ranges are out of order, overlap or lie outside the file";
        return -1;
    }
    if (v[3] > len - v[2]) {
        *why = "/ByteRange points beyond the end of the file";
        return -1;
    }
    if (v[2] - v[1] < 2 || buf[v[1]] != '<') {
        *why = "the gap of /ByteRange is not the /Contents hex string";
        return -1;
    }
    for (i = (size_t)v[1] + 1; i < v[2] && hex_value(buf[i]) >= 0; i++)
        ;
    if (i < v[2] && buf[i] == '>' && i + 1 < v[2] && !blank(buf + i + 1, (size_t)v[2] - i - 1)) {
        /* '<' hex '>' and more bytes before the second range: it was moved
         * away from the signature value and unsigned bytes were put in
         * between (Signature Wrapping, Mladenov et al. 2019). */
        *why = "unsigned bytes lie between the signature value (/Contents) and the second "
               "signed range: the signed bytes were moved and unsigned content was put in "
               "their place (Signature Wrapping)";
        return -1;
    }
    if (buf[v[2] - 1] != '>') {
        *why = "the gap of /ByteRange is not the /Contents hex string";
        return -1;
    }
    if (i != v[2] - 1) {
        *why = "the gap of /ByteRange holds more than the /Contents hex string";
        return -1;
    }
    if ((v[2] - v[1] - 2) % 2 != 0) {
        *why = "the /Contents hex string has an odd number of digits";
        return -1;
    }
    if (v[2] + v[3] != len && !eof_ends_at(buf, (size_t)(v[2] + v[3]))) {
        *why = "/ByteRange does not end at the end of a revision (%%EOF) or of the file";
        return -1;
    }
    memcpy(out, v, sizeof(v));
    return 0;
}

/* --- the signed data --- */

/*
 * The digest of the bytes before a signature's /Contents, kept per digest
 * algorithm: each signature of a document signs the file from its start up
 * to its own /Contents, so a document signed 20 times has its first part
 * (often nearly all of it) digested once, not 20 times.
 */
#define PREFIX_MDS 4
typedef struct prefix_md {
    const unsigned char *buf; /* the bytes it was computed over */
    size_t len;               /* buf[0..len) digested */
    int type;                 /* EVP_MD_get_type */
    EVP_MD_CTX *ctx;
} prefix_md;

typedef struct ranges {
    const unsigned char *buf;
    uint64_t br[4];
    prefix_md *pfx; /* PREFIX_MDS entries, NULL: none */
} ranges;

static void prefix_free(prefix_md *p)
{
    size_t i;

    for (i = 0; i < PREFIX_MDS; i++)
        EVP_MD_CTX_free(p[i].ctx);
    memset(p, 0, PREFIX_MDS * sizeof(*p));
}

/* c: md over buf[0..len), from a kept digest of a prefix when there is one. */
static int digest_prefix(prefix_md *pfx, EVP_MD_CTX *c, const EVP_MD *md, const unsigned char *buf,
                         size_t len)
{
    prefix_md *e = NULL, *slot = NULL;
    size_t i, done = 0;

    for (i = 0; pfx != NULL && i < PREFIX_MDS; i++)
        if (pfx[i].ctx != NULL && pfx[i].buf == buf && pfx[i].type == EVP_MD_get_type(md))
            e = &pfx[i];
        else if (pfx[i].ctx == NULL && slot == NULL)
            slot = &pfx[i];
    if (e != NULL && e->len <= len) {
        if (!EVP_MD_CTX_copy_ex(c, e->ctx))
            return 0;
        done = e->len;
    } else if (!EVP_DigestInit_ex(c, md, NULL)) {
        return 0;
    }
    if (!EVP_DigestUpdate(c, buf + done, len - done))
        return 0;
    /* keep the shortest prefix: later (longer) signatures start from it */
    if (e == NULL)
        e = slot;
    else if (e->len <= len)
        return 1;
    if (e != NULL) {
        if (e->ctx == NULL && (e->ctx = EVP_MD_CTX_new()) == NULL)
            return 1;
        if (!EVP_MD_CTX_copy_ex(e->ctx, c)) {
            EVP_MD_CTX_free(e->ctx);
            e->ctx = NULL;
            return 1;
        }
        e->buf = buf;
        e->len = len;
        e->type = EVP_MD_get_type(md);
    }
    return 1;
}

static int digest_ranges(void *arg, const EVP_MD *md, unsigned char *out, unsigned int *len)
{
    ranges *r = arg;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c != NULL &&
             (r->br[0] == 0 ? digest_prefix(r->pfx, c, md, r->buf, (size_t)r->br[1])
                            : EVP_DigestInit_ex(c, md, NULL) &&
                                  EVP_DigestUpdate(c, r->buf + r->br[0], (size_t)r->br[1])) &&
             EVP_DigestUpdate(c, r->buf + r->br[2], (size_t)r->br[3]) && vfy_md_final(c, out, len);

    EVP_MD_CTX_free(c);
    return ok ? 0 : -1;
}

typedef struct file_src {
    const char *path;
} file_src;

static int digest_file(void *arg, const EVP_MD *md, unsigned char *out, unsigned int *len)
{
    const file_src *f = arg;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned char *blk = malloc(1u << 20);
    int fd = open(f->path, O_RDONLY | O_CLOEXEC), ok;
    ssize_t n = 0;

    ok = c != NULL && blk != NULL && fd >= 0 && EVP_DigestInit_ex(c, md, NULL);
    while (ok && (n = read(fd, blk, 1u << 20)) > 0)
        ok = EVP_DigestUpdate(c, blk, (size_t)n);
    ok = ok && n == 0 && vfy_md_final(c, out, len);
    if (fd >= 0)
        close(fd);
    free(blk);
    EVP_MD_CTX_free(c);
    return ok ? 0 : -1;
}

typedef struct mem_src {
    const unsigned char *p;
    size_t len;
} mem_src;

static int digest_mem(void *arg, const EVP_MD *md, unsigned char *out, unsigned int *len)
{
    const mem_src *m = arg;

    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c != NULL && EVP_DigestInit_ex(c, md, NULL) &&
             EVP_DigestUpdate(c, m->p != NULL ? m->p : (const unsigned char *)"", m->len) &&
             vfy_md_final(c, out, len);

    EVP_MD_CTX_free(c);
    return ok ? 0 : -1;
}

/* --- report bookkeeping --- */

static void free_strs(char **a, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(a[i]);
    free(a);
}

void vfy_report_free(vfy_report *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < r->n_sigs; i++) {
        size_t k;
        for (k = 0; k < r->sigs[i].n_mods; k++)
            free(r->sigs[i].mods[k].detail);
        free(r->sigs[i].mods);
        free_strs(r->sigs[i].changes, r->sigs[i].n_changes);
        free_strs(r->sigs[i].harmless, r->sigs[i].n_harmless);
        free_strs(r->sigs[i].reasons, r->sigs[i].n_reasons);
    }
    free(r->sigs);
    free_strs(r->notes, r->n_notes);
    free(r);
}

static vfy_sig *new_sig(vfy_report *r)
{
    vfy_sig *n;

    if (r->n_sigs >= VFY_MAX_SIGS)
        return NULL;
    n = realloc(r->sigs, (r->n_sigs + 1) * sizeof(*n));
    if (n == NULL)
        return NULL;
    r->sigs = n;
    memset(&n[r->n_sigs], 0, sizeof(*n));
    return &n[r->n_sigs++];
}

static void finish_report(vfy_report *r)
{
    size_t i;

    r->conclusion = VFY_TOTAL_PASSED;
    r->sub_indication[0] = '\0';
    for (i = 0; i < r->n_sigs; i++)
        if (r->sigs[i].conclusion > r->conclusion) {
            r->conclusion = r->sigs[i].conclusion;
            snprintf(r->sub_indication, sizeof(r->sub_indication), "%s", r->sigs[i].sub_indication);
        }
    if (r->n_sigs == 0) {
        r->conclusion = VFY_TOTAL_FAILED;
        snprintf(r->sub_indication, sizeof(r->sub_indication), "SIGNED_DATA_NOT_FOUND");
    }
}

/* --- PDF strings for the report --- */

/* Append code point u as UTF-8 when it fits with room for the NUL; controls, surrogates dropped. */
static void utf8_put(char *out, size_t cap, size_t *j, unsigned long u)
{
    if (u < 0x20 || u == 0x7f || (u >= 0xd800 && u <= 0xdfff) || u > 0x10ffff)
        return;
    if (u < 0x80 && *j + 1 < cap) {
        out[(*j)++] = (char)u;
    } else if (u >= 0x80 && u < 0x800 && *j + 2 < cap) {
        out[(*j)++] = (char)(0xc0 | (u >> 6));
        out[(*j)++] = (char)(0x80 | (u & 0x3f));
    } else if (u >= 0x800 && u < 0x10000 && *j + 3 < cap) {
        out[(*j)++] = (char)(0xe0 | (u >> 12));
        out[(*j)++] = (char)(0x80 | ((u >> 6) & 0x3f));
        out[(*j)++] = (char)(0x80 | (u & 0x3f));
    } else if (u >= 0x10000 && *j + 4 < cap) {
        out[(*j)++] = (char)(0xf0 | (u >> 18));
        out[(*j)++] = (char)(0x80 | ((u >> 12) & 0x3f));
        out[(*j)++] = (char)(0x80 | ((u >> 6) & 0x3f));
        out[(*j)++] = (char)(0x80 | (u & 0x3f));
    }
}

/*
 * A text string (ISO 32000-2 §7.9.2.2) as UTF-8 for the report: UTF-16BE
 * with its BOM (surrogate pairs joined), UTF-8 with its BOM (PDF 2.0; invalid sequences
 * end it), else PDFDocEncoding. Truncated to cap; always NUL-terminated.
 */
void vfy_pdf_text(const pdf_obj *o, char *out, size_t cap)
{
    const unsigned char *p;
    size_t i, j = 0, n;
    unsigned long u;

    if (cap == 0)
        return;
    out[0] = '\0';
    if (o == NULL || o->type != PDF_STRING)
        return;
    p = (const unsigned char *)o->u.str.p;
    n = o->u.str.len;
    if (n >= 2 && p[0] == 0xfe && p[1] == 0xff) {
        for (i = 2; i + 1 < n;)
            utf8_put(out, cap, &j, pdf_utf16be_next(p, n, &i)); /* lone surrogates dropped */
    } else if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
        for (i = 3; i < n && pdf_utf8_next(p, n, &i, &u) == 0;)
            utf8_put(out, cap, &j, u);
    } else {
        for (i = 0; i < n; i++)
            utf8_put(out, cap, &j, pdf_docenc_to_ucs(p[i]));
    }
    out[j] = '\0';
}

/* D:YYYYMMDDHHmmSS(+HH'mm') -> ISO 8601 UTC. */
static void pdf_date_iso(const pdf_obj *o, char out[40])
{
    char s[64];
    struct tm tm;
    int f[6] = {0, 1, 1, 0, 0, 0}, w[6] = {4, 2, 2, 2, 2, 2}, i, sign = 0, oh = 0, om = 0;
    const char *p;
    time_t t;

    out[0] = '\0';
    vfy_pdf_text(o, s, sizeof(s));
    p = s;
    if (strncmp(p, "D:", 2) == 0)
        p += 2;
    for (i = 0; i < 6; i++) {
        int k, v = 0;
        for (k = 0; k < w[i]; k++) {
            if (p[k] < '0' || p[k] > '9')
                break;
            v = v * 10 + (p[k] - '0');
        }
        if (k < w[i]) {
            if (i == 0)
                return;
            break;
        }
        f[i] = v;
        p += w[i];
    }
    if (*p == '+' || *p == '-') {
        sign = *p == '+' ? 1 : -1;
        if (p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9')
            oh = (p[1] - '0') * 10 + (p[2] - '0');
        if (p[3] == '\'' && p[4] >= '0' && p[4] <= '9' && p[5] >= '0' && p[5] <= '9')
            om = (p[4] - '0') * 10 + (p[5] - '0');
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = f[0] - 1900;
    tm.tm_mon = f[1] - 1;
    tm.tm_mday = f[2];
    tm.tm_hour = f[3];
    tm.tm_min = f[4];
    tm.tm_sec = f[5];
    t = timegm(&tm) - sign * (oh * 3600 + om * 60);
    vfy_iso_time(t, out);
}

/* --- finding the signatures --- */

typedef struct sigref {
    char name[256];
    const pdf_obj *v;     /* the /V value as written (maybe a reference) */
    const pdf_obj *field; /* the signature field dictionary (its /Lock) */
    uint32_t holder;      /* object holding the signature dictionary */
} sigref;

typedef struct finder {
    pdf_doc *d;
    sigref *refs;
    size_t n, visited;
} finder;

static void walk_fields(finder *f, const pdf_obj *arr, const char *prefix, int inherited_sig,
                        int depth)
{
    size_t i;

    arr = pdf_resolve(f->d, arr);
    if (arr == NULL || arr->type != PDF_ARRAY || depth > MAX_FIELD_DEPTH)
        return;
    for (i = 0; i < arr->u.arr.n && f->visited < MAX_FIELDS; i++) {
        const pdf_obj *ref = arr->u.arr.items[i], *fd = pdf_resolve(f->d, ref), *ft, *v, *kids;
        char name[256], t[200];
        int is_sig;

        f->visited++;
        if (fd == NULL || fd->type != PDF_DICT)
            continue;
        vfy_pdf_text(pdf_resolve(f->d, pdf_dict_get(fd, "T")), t, sizeof(t));
        if (prefix[0] && t[0])
            snprintf(name, sizeof(name), "%.120s.%.120s", prefix, t);
        else
            snprintf(name, sizeof(name), "%s", t[0] ? t : prefix);
        ft = pdf_dict_get(fd, "FT");
        is_sig = ft != NULL ? pdf_is_name(pdf_resolve(f->d, ft), "Sig") : inherited_sig;
        v = pdf_dict_get(fd, "V");
        if (is_sig && v != NULL) {
            sigref *nr;
            size_t k;
            uint32_t holder = ref->type == PDF_REF ? ref->u.ref.num : 0;
            int dup = 0;
            for (k = 0; k < f->n; k++)
                if ((v->type == PDF_REF && f->refs[k].v->type == PDF_REF &&
                     f->refs[k].v->u.ref.num == v->u.ref.num) ||
                    (v->type != PDF_REF && f->refs[k].v == v))
                    dup = 1;
            if (!dup && f->n < VFY_MAX_SIGS && (nr = realloc(f->refs, (f->n + 1) * sizeof(*nr)))) {
                f->refs = nr;
                snprintf(nr[f->n].name, sizeof(nr[f->n].name), "%s", name);
                nr[f->n].v = v;
                nr[f->n].field = fd;
                nr[f->n].holder = v->type == PDF_REF ? v->u.ref.num : holder;
                f->n++;
            }
        }
        kids = pdf_dict_get(fd, "Kids");
        if (kids != NULL)
            walk_fields(f, kids, name, is_sig, depth + 1);
    }
}

/* --- revisions --- */

typedef struct vctx {
    pdf_doc *d;
    const unsigned char *buf; /* the document (from its %PDF- header) */
    size_t len;
    const unsigned char *file; /* the whole file: base bytes precede the header */
    size_t base;
    const vfy_opts *o;
    vfy_report *r;
    vfy_revdata rd;    /* the document's /DSS */
    cms_fetch_ctx *fx; /* the document's fetches, NULL: offline */
    prefix_md pfx[PREFIX_MDS];
} vctx;

/* Offsets just after each %%EOF marker (with its end-of-line). */
static size_t find_eofs(const unsigned char *buf, size_t len, uint64_t **out)
{
    size_t n = 0, cap = 0, pos = 0;
    uint64_t *a = NULL;
    const unsigned char *p;

    while (pos < len && (p = memmem(buf + pos, len - pos, "%%EOF", 5)) != NULL) {
        size_t e = (size_t)(p - buf) + 5;
        if (e < len && buf[e] == '\r')
            e++;
        if (e < len && buf[e] == '\n')
            e++;
        if (n == cap) {
            uint64_t *na;
            cap = cap ? cap * 2 : 16;
            if (cap > 65536 || (na = realloc(a, cap * sizeof(*a))) == NULL)
                break;
            a = na;
        }
        a[n++] = e;
        pos = e;
    }
    *out = a;
    return n;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * Object headers "N G obj" in buf[start..end), skipping stream data: each
 * number defined twice in this revision (readers may disagree which
 * definition counts: the collision attack) is added to dd with the
 * revision's end.
 */
static void find_duplicates(const unsigned char *buf, size_t start, size_t end, vfy_docdiff *dd)
{
    size_t pos = start, n = 0, cap = 0, i;
    uint32_t *nums = NULL;
    const unsigned char *p;

    while (pos < end && (p = memmem(buf + pos, end - pos, "obj", 3)) != NULL) {
        size_t q = (size_t)(p - buf), k = q, after = q + 3;
        uint64_t num = 0, mul = 1;
        int ok = 0;

        pos = after;
        if (q > start && buf[q - 1] == 'd') /* endobj */
            continue;
        if (after < end && !pdf_is_ws(buf[after]) && !pdf_is_delim(buf[after]))
            continue;
        /* backwards: ws gen ws num (ws|start) */
        while (k > start && pdf_is_ws(buf[k - 1]))
            k--;
        if (k == q || k == start || buf[k - 1] < '0' || buf[k - 1] > '9')
            continue;
        while (k > start && buf[k - 1] >= '0' && buf[k - 1] <= '9')
            k--;
        {
            size_t g = k;
            while (k > start && pdf_is_ws(buf[k - 1]))
                k--;
            if (k == g)
                continue;
        }
        while (k > start && buf[k - 1] >= '0' && buf[k - 1] <= '9' && mul < 100000000000ULL) {
            num += (uint64_t)(buf[k - 1] - '0') * mul;
            mul *= 10;
            k--;
            ok = 1;
        }
        if (!ok || (k > start && !pdf_is_ws(buf[k - 1]) && !pdf_is_delim(buf[k - 1])) ||
            num >= PDF_MAX_OBJECTS)
            continue;
        if (n == cap) {
            uint32_t *na;
            cap = cap ? cap * 2 : 256;
            if (cap > PDF_MAX_OBJECTS || (na = realloc(nums, cap * sizeof(*na))) == NULL)
                break;
            nums = na;
        }
        nums[n++] = (uint32_t)num;
        /* skip this object's stream data, if any */
        {
            const unsigned char *s = memmem(buf + after, end - after, "stream", 6);
            /* an endobj before the stream keyword, else the stream is this object's */
            const unsigned char *eo = memmem(
                buf + after, s != NULL ? (size_t)(s - (buf + after)) : end - after, "endobj", 6);
            if (s != NULL && (eo == NULL || s < eo)) {
                const unsigned char *es =
                    memmem(s + 6, (size_t)(buf + end - (s + 6)), "endstream", 9);
                pos = es != NULL ? (size_t)(es - buf) + 9 : end;
            } else if (eo != NULL) {
                pos = (size_t)(eo - buf) + 6;
            }
        }
    }
    if (n > 1)
        qsort(nums, n, sizeof(*nums), cmp_u32);
    for (i = 1; i < n; i++)
        if (nums[i] == nums[i - 1] && (i < 2 || nums[i] != nums[i - 2]) && dd->ndups < MAX_DUPS) {
            struct vfy_dup *nd = realloc(dd->dups, (dd->ndups + 1) * sizeof(*nd));
            if (nd == NULL)
                break;
            dd->dups = nd;
            nd[dd->ndups].rev_end = end;
            nd[dd->ndups++].num = nums[i];
        }
    free(nums);
}

/* --- one signature --- */

static void verify_one(vctx *c, const sigref *ref, vfy_sig *s)
{
    const pdf_obj *v = pdf_resolve(c->d, ref->v), *x, *contents;
    const char *why = NULL;
    const unsigned char *sbuf = c->buf; /* what the /ByteRange counts in */
    unsigned char *der = NULL;
    size_t hexlen, derlen, i, total, shift = 0;
    ranges rg;

    snprintf(s->field, sizeof(s->field), "%s", ref->name);
    snprintf(s->certificate_status, sizeof(s->certificate_status), "unknown");
    if (v == NULL || v->type != PDF_DICT) {
        vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE",
                "the signature field's /V is not a signature dictionary");
        return;
    }
    x = pdf_resolve(c->d, pdf_dict_get(v, "SubFilter"));
    if (x != NULL && x->type == PDF_NAME)
        snprintf(s->subfilter, sizeof(s->subfilter), "%s", x->u.str.p);
    s->doc_timestamp = pdf_is_name(pdf_dict_get(v, "Type"), "DocTimeStamp") ||
                       strcmp(s->subfilter, "ETSI.RFC3161") == 0;
    pdf_date_iso(pdf_resolve(c->d, pdf_dict_get(v, "M")), s->claimed_time);
    vfy_pdf_text(pdf_resolve(c->d, pdf_dict_get(v, "Reason")), s->reason, sizeof(s->reason));
    vfy_pdf_text(pdf_resolve(c->d, pdf_dict_get(v, "Location")), s->location, sizeof(s->location));

    /* Offsets count from the %PDF- header, as readers take them; bytes before
     * it are signed only when the /ByteRange counts from the file's start. */
    x = pdf_resolve(c->d, pdf_dict_get(v, "ByteRange"));
    if (vfy_check_byterange(c->buf, c->len, x, s->byterange, &why) != 0) {
        const char *why2;
        if (c->base == 0 ||
            vfy_check_byterange(c->file, c->len + c->base, x, s->byterange, &why2) != 0 ||
            s->byterange[1] < c->base + 2) {
            vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE", "%s", why);
            return;
        }
        shift = c->base;
        sbuf = c->file;
        vfy_note(s, "the /ByteRange counts the %zu bytes before %%PDF-: they are signed too",
                 shift);
    }
    s->revision_end = s->byterange[2] + s->byterange[3] - shift;
    contents = pdf_dict_get(v, "Contents");
    if (contents == NULL || contents->type != PDF_STRING || contents->u.str.len == 0) {
        vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE",
                contents == NULL               ? "the signature has no /Contents"
                : contents->type != PDF_STRING ? "/Contents is not a direct string"
                                               : "/Contents is empty");
        return;
    }
    /* The dictionary must lie in the signed revision, around the gap (no wrapping). */
    {
        const xref_entry *e =
            ref->holder > 0 && ref->holder < c->d->nxref ? &c->d->xref[ref->holder] : NULL;
        if (e == NULL || e->type != 1 || e->off + shift >= s->byterange[1]) {
            vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE",
                    "the signature dictionary is not the object around the /ByteRange gap "
                    "(moved, compressed or redefined after signing)");
            return;
        }
    }
    hexlen = (size_t)(s->byterange[2] - s->byterange[1] - 2);
    derlen = hexlen / 2;
    if (derlen != contents->u.str.len) {
        vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE",
                "/Contents is not the string in the /ByteRange gap");
        return;
    }
    der = malloc(derlen);
    if (der == NULL) {
        vfy_set(s, VFY_INDETERMINATE, "TRY_LATER", "out of memory");
        return;
    }
    for (i = 0; i < derlen; i++) {
        const unsigned char *h = sbuf + s->byterange[1] + 1 + 2 * i;
        der[i] = (unsigned char)(hex_value(h[0]) << 4 | hex_value(h[1]));
    }
    if (memcmp(der, contents->u.str.p, derlen) != 0) {
        vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE",
                "/Contents is not the string in the /ByteRange gap");
        goto out;
    }
    if (strcmp(s->subfilter, "adbe.x509.rsa_sha1") == 0) {
        vfy_set(s, VFY_INDETERMINATE, "FORMAT_FAILURE",
                "SubFilter adbe.x509.rsa_sha1 (a bare PKCS#1 signature with /Cert, deprecated "
                "since PDF 2.0) is not supported");
        goto out;
    }
    /* DER length of the outer SEQUENCE; the rest must be zero padding. */
    total = 0;
    if (derlen >= 2 && der[0] == 0x30) {
        if (der[1] < 0x80) {
            total = 2 + (size_t)der[1];
        } else {
            size_t k = der[1] & 0x7f, l = 0;
            if (k >= 1 && k <= 4 && 2 + k <= derlen) {
                for (i = 0; i < k; i++)
                    l = l << 8 | der[2 + i];
                total = 2 + k + l;
            }
        }
    }
    if (derlen >= 2 && der[0] == 0x30 && der[1] == 0x80) {
        /* BER indefinite length (NSS, hence poppler's and Firefox's signers,
         * write it): the parser tells where the structure ends. */
        const unsigned char *p = der;
        CMS_ContentInfo *ci = d2i_CMS_ContentInfo(NULL, &p, (long)derlen);
        if (ci != NULL)
            total = (size_t)(p - der);
        CMS_ContentInfo_free(ci);
        ERR_clear_error();
    }
    if (total == 0 || total > derlen) {
        vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE",
                "/Contents does not hold a DER signature (empty, zeros or truncated)");
        goto out;
    }
    for (i = total; i < derlen; i++)
        if (der[i] != 0) {
            vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE",
                    "/Contents holds data after the signature");
            goto out;
        }
    rg.buf = sbuf;
    rg.pfx = c->pfx;
    memcpy(rg.br, s->byterange, sizeof(rg.br));
    if (s->doc_timestamp)
        vfy_check_doc_tst(der, total, digest_ranges, &rg, c->o, &c->rd, c->fx, s);
    else
        (void)vfy_check_cms(der, total, digest_ranges, &rg, c->o, &c->rd, c->fx, s);
out:
    free(der);
}

/* --- certification --- */

/* DocMDP P of the signature dictionary v (its /Reference DocMDP transform), 0: none. */
static int docmdp_p(pdf_doc *d, const pdf_obj *v)
{
    const pdf_obj *refs = pdf_resolve(d, pdf_dict_get(v, "Reference"));
    size_t i;

    for (i = 0; refs != NULL && refs->type == PDF_ARRAY && i < refs->u.arr.n && i < 16; i++) {
        const pdf_obj *r = pdf_resolve(d, refs->u.arr.items[i]), *tp, *pv;
        if (r == NULL || r->type != PDF_DICT ||
            !pdf_is_name(pdf_resolve(d, pdf_dict_get(r, "TransformMethod")), "DocMDP"))
            continue;
        tp = pdf_resolve(d, pdf_dict_get(r, "TransformParams"));
        pv = tp != NULL && tp->type == PDF_DICT ? pdf_resolve(d, pdf_dict_get(tp, "P")) : NULL;
        if (pv == NULL)
            return 2; /* ISO 32000-1 Table 254: default 2 */
        if (pv->type != PDF_INT || pv->u.integer < 1 || pv->u.integer > 3)
            return 1; /* an invalid P is read as the strictest */
        return (int)pv->u.integer;
    }
    return 0;
}

static int only_ws(const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!pdf_is_ws(p[i]))
            return 0;
    return 1;
}

/* The certification signature (named by /Perms /DocMDP): its P on s and on the report. */
static void find_certification(vctx *c, const pdf_obj *cat, const finder *f)
{
    const pdf_obj *perms = pdf_resolve(c->d, pdf_dict_get(cat, "Perms"));
    const pdf_obj *mdp =
        perms != NULL && perms->type == PDF_DICT ? pdf_dict_get(perms, "DocMDP") : NULL;
    size_t i;

    for (i = 0; mdp != NULL && mdp->type == PDF_REF && i < f->n && i < c->r->n_sigs; i++) {
        vfy_sig *s = &c->r->sigs[i];
        const pdf_obj *v;
        if (f->refs[i].v->type != PDF_REF || f->refs[i].v->u.ref.num != mdp->u.ref.num)
            continue;
        v = pdf_resolve(c->d, f->refs[i].v);
        s->certification = v != NULL && v->type == PDF_DICT ? docmdp_p(c->d, v) : 0;
        if (s->certification == 0)
            vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE",
                    "/Perms /DocMDP names this signature, but it has no DocMDP /Reference");
        c->r->certification = s->certification;
        return;
    }
    if (mdp != NULL)
        vfy_report_note(c->r, "/Perms /DocMDP does not name a signature of the document");
}

/*
 * What later revisions changed, for each signature in revision order: the
 * DocMDP permissions of a certification apply to the signatures from its
 * revision on; each signature's own FieldMDP locks apply to it.
 */
static void analyse(vctx *c, const finder *f, vfy_docdiff *dd)
{
    uint64_t cert_end = 0;
    int cert_p = 0;
    size_t i, k;

    for (i = 0; i < c->r->n_sigs; i++)
        if (c->r->sigs[i].certification && c->r->sigs[i].revision_end > 0) {
            cert_p = c->r->sigs[i].certification;
            cert_end = c->r->sigs[i].revision_end;
        }
    for (i = 0; i < c->r->n_sigs; i++) {
        vfy_sig *s = &c->r->sigs[i];
        vfy_lock locks[VFY_MAX_LOCKS];
        size_t nlocks = 0;
        if (s->revision_end == 0)
            continue;
        for (k = 0; k < dd->ndups; k++)
            if (dd->dups[k].rev_end <= s->revision_end)
                vfy_note(s,
                         "object %u is defined twice in a signed revision: readers may show "
                         "either definition, and this signature covers both",
                         dd->dups[k].num);
        if (cert_p && s->revision_end < cert_end && !s->doc_timestamp)
            vfy_note(s, "a signature before the certification signature: a certification "
                        "signature must be the first signature of the document");
        s->covers_whole_document = s->revision_end == c->len ||
                                   only_ws(c->buf + s->revision_end, c->len - s->revision_end);
        if (s->covers_whole_document) {
            s->changes_analysed = 1;
            s->modification_level = VFY_MOD_NONE;
            continue;
        }
        for (k = 0; k < f->n; k++)
            if (strcmp(f->refs[k].name, s->field) == 0) {
                nlocks = vfy_load_locks(c->d, f->refs[k].field, f->refs[k].v, locks);
                break;
            }
        vfy_analyse_changes(c->d, dd, cert_p && s->revision_end >= cert_end ? cert_p : 0, locks,
                            nlocks, s);
        if (s->modified_after_signing)
            vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE",
                    "the document was changed after this signature: %s", s->changes[0]);
    }
}

/*
 * Validate the document d read from file[base..base + d's length); raw: d
 * was read without decrypting (why: the reader's complaint about /Encrypt).
 */
static int verify_doc(pdf_doc *d, const unsigned char *file, size_t base, const char *raw_why,
                      const vfy_opts *o, vfy_report **out, sertel_err *err)
{
    vctx c;
    finder f = {d, NULL, 0, 0};
    vfy_docdiff dd;
    const pdf_obj *cat, *af;
    uint32_t cnum;
    uint16_t cgen;
    uint64_t *eofs = NULL;
    size_t neofs, i, prev = 0;
    int rc;

    memset(&c, 0, sizeof(c));
    memset(&dd, 0, sizeof(dd));
    c.d = d;
    c.buf = d->buf;
    c.len = d->len;
    c.file = file;
    c.base = base;
    c.o = o;
    dd.password = o->password;
    dd.raw = raw_why != NULL;
    if (!o->offline && (rc = cms_fetch_ctx_new(&o->fetch, &c.fx, err)) != SERTEL_OK)
        return rc;
    c.r = calloc(1, sizeof(*c.r));
    if (c.r == NULL) {
        cms_fetch_ctx_free(c.fx);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    if (pdf_catalog(d, &cat, &cnum, &cgen, err) != SERTEL_OK) {
        vfy_report_free(c.r);
        cms_fetch_ctx_free(c.fx);
        return err->code ? err->code : SERTEL_ERR_INVALID;
    }
    if (raw_why != NULL)
        vfy_report_note(c.r,
                        "the /Encrypt entry is broken (%s): the document was read without "
                        "decrypting it",
                        raw_why);
    if (base > 0)
        vfy_report_note(c.r,
                        "%zu bytes precede the %%PDF- header: readers skip them; a signature "
                        "covers them only when its /ByteRange counts them",
                        base);
    vfy_revdata_load_dss(d, cat, &c.rd);
    c.rd.home = o->home;
    c.rd.n_home = o->home != NULL ? o->n_home : 0;
    if (pdf_was_recovered(d))
        vfy_report_note(c.r, "the cross-reference is damaged and was recovered by scanning");
    af = pdf_resolve(d, pdf_dict_get(cat, "AcroForm"));
    if (af != NULL && af->type == PDF_DICT)
        walk_fields(&f, pdf_dict_get(af, "Fields"), "", 0, 0);

    neofs = find_eofs(c.buf, c.len, &eofs);
    c.r->n_revisions = (unsigned)neofs;
    for (i = 0; i < neofs; i++) {
        find_duplicates(c.buf, prev, (size_t)eofs[i], &dd);
        prev = (size_t)eofs[i];
    }
    if (prev < c.len)
        find_duplicates(c.buf, prev, c.len, &dd);
    for (i = 0; i < dd.ndups; i++)
        vfy_report_note(c.r, "object %u is defined twice in one revision (object collision)",
                        dd.dups[i].num);

    for (i = 0; i < f.n; i++) {
        vfy_sig *s = new_sig(c.r);
        if (s == NULL)
            break;
        verify_one(&c, &f.refs[i], s);
    }
    find_certification(&c, cat, &f);
    /* sorted by revision together with their field references */
    for (i = 1; i < c.r->n_sigs; i++) {
        size_t k;
        for (k = i; k > 0 && c.r->sigs[k].revision_end < c.r->sigs[k - 1].revision_end; k--) {
            vfy_sig t = c.r->sigs[k];
            sigref tr = f.refs[k];
            c.r->sigs[k] = c.r->sigs[k - 1];
            c.r->sigs[k - 1] = t;
            f.refs[k] = f.refs[k - 1];
            f.refs[k - 1] = tr;
        }
    }
    analyse(&c, &f, &dd);
    vfy_visual_check(d, o, raw_why != NULL, c.r);
    /* B-LTA: B-LT and a valid document time-stamp in a later revision. */
    for (i = 0; i < c.r->n_sigs; i++) {
        vfy_sig *s = &c.r->sigs[i];
        size_t k;
        if (strcmp(s->level, "B-LT") != 0)
            continue;
        for (k = i + 1; k < c.r->n_sigs; k++)
            if (c.r->sigs[k].doc_timestamp && c.r->sigs[k].conclusion == VFY_TOTAL_PASSED &&
                c.r->sigs[k].revision_end > s->revision_end) {
                snprintf(s->level, sizeof(s->level), "B-LTA");
                break;
            }
    }
    if (c.r->n_sigs == 0)
        vfy_report_note(c.r, "the document has no signatures");
    vfy_report_set_time(c.r, o);
    vfy_revdata_free(&c.rd);
    vfy_docdiff_free(&dd);
    cms_fetch_ctx_free(c.fx);
    prefix_free(c.pfx);
    finish_report(c.r);
    free(eofs);
    free(f.refs);
    *out = c.r;
    return SERTEL_OK;
}

/*
 * Open data[0..len) for validation: from its %PDF- header (bytes before
 * it, within the first 1024, are skipped as readers do: *base counts
 * them); a document whose /Encrypt entry is broken is read without
 * decrypting (*raw_why names the problem, in whybuf).
 */
static int verify_buf(const unsigned char *data, size_t len, const vfy_opts *o, vfy_report **out,
                      sertel_err *err)
{
    pdf_doc *d = NULL;
    sertel_err ignore = {0};
    size_t base = 0;
    const unsigned char *h;
    char whybuf[256];
    const char *raw_why = NULL;
    int rc;

    if (data != NULL && (len < 5 || memcmp(data, "%PDF-", 5) != 0) &&
        (h = memmem(data, len < 1024 ? len : 1024, "%PDF-", 5)) != NULL)
        base = (size_t)(h - data);
    rc = pdf_open_mem_pw(data + base, len - base, o->password, &d, err);
    if (rc == SERTEL_ERR_INVALID &&
        pdf_open_mem_raw(data + base, len - base, &d, &ignore) == SERTEL_OK) {
        if (pdf_is_encrypted(d)) {
            snprintf(whybuf, sizeof(whybuf), "%.200s", err->msg);
            raw_why = whybuf;
            rc = SERTEL_OK;
        } else {
            pdf_close(d);
            d = NULL;
        }
    }
    if (rc != SERTEL_OK)
        return rc;
    memset(err, 0, sizeof(*err));
    rc = verify_doc(d, data, base, raw_why, o, out, err);
    pdf_close(d);
    return rc;
}

int pdf_verify_file(const char *path, const vfy_opts *o, vfy_report **out, sertel_err *err)
{
    void *map = NULL;
    struct stat st;
    int fd, rc;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is not a regular file", path);
    }
    if (st.st_size > 0) {
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            close(fd);
            return sertel_err_set(err, SERTEL_ERR_IO, "cannot map %s: %s", path, strerror(errno));
        }
    }
    close(fd);
    rc = verify_buf(map, (size_t)st.st_size, o, out, err);
    if (rc != SERTEL_OK)
        sertel_err_prefix(err, "%s", path);
    if (map != NULL)
        munmap(map, (size_t)st.st_size);
    return rc;
}

int pdf_verify_mem(const unsigned char *data, size_t len, const vfy_opts *o, vfy_report **out,
                   sertel_err *err)
{
    return pdf_verify_mem_named(data, len, NULL, o, out, err);
}

int pdf_verify_mem_named(const unsigned char *data, size_t len, const char *name, const vfy_opts *o,
                         vfy_report **out, sertel_err *err)
{
    int rc = verify_buf(data, len, o, out, err);

    if (rc != SERTEL_OK && name != NULL)
        sertel_err_prefix(err, "%s", name);
    return rc;
}

/*
 * The detached signature raw (DER or PEM, len bytes; named name in
 * messages) over the data that dfn digests.
 */
static int detached(const unsigned char *raw, size_t len, const char *name, vfy_digest_fn dfn,
                    void *darg, const vfy_opts *o, vfy_report **out, sertel_err *err)
{
    vfy_report *r;
    vfy_sig *s;
    cms_fetch_ctx *fx = NULL;
    unsigned char *pem = NULL;
    const unsigned char *der = raw;
    size_t derlen = len;
    int rc;

    if (len > 10 && memcmp(raw, "-----BEGIN", 10) == 0) { /* PEM */
        BIO *b = len <= INT32_MAX ? BIO_new_mem_buf(raw, (int)len) : NULL;
        char *pname = NULL, *hdr = NULL;
        long dl = 0;
        if (b == NULL || !PEM_read_bio(b, &pname, &hdr, &pem, &dl) || dl <= 0) {
            BIO_free(b);
            OPENSSL_free(pem);
            ERR_clear_error();
            return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is not a PEM CMS signature", name);
        }
        BIO_free(b);
        OPENSSL_free(pname);
        OPENSSL_free(hdr);
        der = pem;
        derlen = (size_t)dl;
    }
    if (!o->offline && (rc = cms_fetch_ctx_new(&o->fetch, &fx, err)) != SERTEL_OK) {
        OPENSSL_free(pem);
        return rc;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        OPENSSL_free(pem);
        cms_fetch_ctx_free(fx);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    r->detached = 1;
    vfy_report_set_time(r, o);
    s = new_sig(r);
    if (s != NULL) {
        vfy_revdata home = {0};
        home.home = o->home;
        home.n_home = o->home != NULL ? o->n_home : 0;
        snprintf(s->subfilter, sizeof(s->subfilter), "CAdES-detached");
        s->covers_whole_document = 1;
        (void)vfy_check_cms(der, derlen, dfn, darg, o, home.home != NULL ? &home : NULL, fx, s);
        if (strcmp(s->level, "PKCS7") == 0)
            snprintf(s->level, sizeof(s->level), "CMS");
    }
    cms_fetch_ctx_free(fx);
    OPENSSL_free(pem);
    finish_report(r);
    *out = r;
    return SERTEL_OK;
}

int vfy_detached_file(const char *sig_path, const char *data_path, const vfy_opts *o,
                      vfy_report **out, sertel_err *err)
{
    unsigned char *raw = NULL;
    size_t len = 0;
    struct stat st;
    int fd, rc;
    ssize_t n;
    file_src fs = {data_path};

    fd = open(sig_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot read %s", sig_path);
    }
    if (st.st_size <= 0 || (uint64_t)st.st_size > 4 * (uint64_t)VFY_MAX_CMS) {
        close(fd);
        return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is empty or too large for a signature",
                              sig_path);
    }
    raw = malloc((size_t)st.st_size + 1);
    if (raw == NULL) {
        close(fd);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    while (len < (size_t)st.st_size && (n = read(fd, raw + len, (size_t)st.st_size - len)) > 0)
        len += (size_t)n;
    close(fd);
    raw[len] = 0;
    if (access(data_path, R_OK) != 0) {
        free(raw);
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot read %s", data_path);
    }
    rc = detached(raw, len, sig_path, digest_file, &fs, o, out, err);
    free(raw);
    return rc;
}

int vfy_detached_mem(const unsigned char *sig, size_t sig_len, const char *sig_name,
                     const unsigned char *data, size_t data_len, const vfy_opts *o,
                     vfy_report **out, sertel_err *err)
{
    mem_src m = {data, data_len};

    if (sig_len == 0 || sig_len > 4 * (size_t)VFY_MAX_CMS)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is empty or too large for a signature",
                              sig_name);
    return detached(sig, sig_len, sig_name, digest_mem, &m, o, out, err);
}
