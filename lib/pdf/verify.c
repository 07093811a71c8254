/*
 * verify.c - the PDF half of signature validation: finding the
 * signatures, the /ByteRange and /Contents checks that defeat Universal
 * Signature Forgery and Signature Wrapping, the map from signatures to
 * revisions, the analysis of what later revisions changed (Incremental
 * Saving, shadow attacks), duplicate object numbers, and the detached
 * CMS entry point.
 */
#include <fcntl.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pdf/pdf_int.h"
#include "pdf/verify_int.h"
#include "util/fs.h"
#include "util/hex.h"

#define MAX_FIELDS 10000
#define MAX_FIELD_DEPTH 16
#define MAX_PAGES_NAMED 4096
#define MAX_ARRAY_COMPARE 4096 /* /Annots or /Fields items compared (quadratic) */

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

typedef struct ranges {
    const unsigned char *buf;
    uint64_t br[4];
} ranges;

static int digest_ranges(void *arg, const EVP_MD *md, unsigned char *out, unsigned int *len)
{
    ranges *r = arg;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c != NULL && EVP_DigestInit_ex(c, md, NULL) &&
             EVP_DigestUpdate(c, r->buf + r->br[0], (size_t)r->br[1]) &&
             EVP_DigestUpdate(c, r->buf + r->br[2], (size_t)r->br[3]) &&
             EVP_DigestFinal_ex(c, out, len);

    EVP_MD_CTX_free(c);
    return ok ? 0 : -1;
}

typedef struct file_src {
    const char *path;
} file_src;

static int digest_file(void *arg, const EVP_MD *md, unsigned char *out, unsigned int *len)
{
    const file_src *f = arg;
    sertel_err e = {0};

    return fs_digest_file(f->path, md, out, len, &e) == SERTEL_OK ? 0 : -1;
}

typedef struct mem_src {
    const unsigned char *p;
    size_t len;
} mem_src;

static int digest_mem(void *arg, const EVP_MD *md, unsigned char *out, unsigned int *len)
{
    const mem_src *m = arg;

    return EVP_Digest(m->p != NULL ? m->p : (const unsigned char *)"", m->len, out, len, md,
                      NULL) == 1
               ? 0
               : -1;
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
static void pdf_text(const pdf_obj *o, char *out, size_t cap)
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
    pdf_text(o, s, sizeof(s));
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
        pdf_text(pdf_resolve(f->d, pdf_dict_get(fd, "T")), t, sizeof(t));
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

/*
 * A FieldMDP lock (ISO 32000-1 §12.8.2.4, Table 233 /Lock, Table 254
 * /TransformParams): /Action /All, /Include or /Exclude with /Fields.
 */
typedef struct field_lock {
    const char *action;    /* "All", "Include", "Exclude" */
    const pdf_obj *fields; /* array of field names (text strings) */
} field_lock;

#define VFY_MAX_LOCKS 8

typedef struct vctx {
    pdf_doc *d;
    const unsigned char *buf;
    size_t len;
    const vfy_opts *o;
    vfy_report *r;
    vfy_revdata rd;                  /* the document's /DSS */
    cms_fetch_ctx *fx;               /* the document's fetches, NULL: offline */
    int cert_p;                      /* DocMDP P of the certification signature, 0: not certified */
    uint64_t cert_end;               /* end of the certification signature's revision */
    int cur_p;                       /* P applying to the changes being analysed, 0: none */
    char whybuf[240];                /* why an addition is refused */
    field_lock locks[VFY_MAX_LOCKS]; /* FieldMDP locks of the signature being analysed */
    size_t nlocks;
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
 * Object headers "N G obj" in buf[start..end), skipping stream data; a
 * number defined twice in the same revision is reported (collision attack).
 */
static int find_duplicates(const unsigned char *buf, size_t start, size_t end, uint32_t *dup)
{
    size_t pos = start, n = 0, cap = 0, i;
    uint32_t *nums = NULL;
    const unsigned char *p;
    int found = 0;

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
            const unsigned char *eo = memmem(buf + after, end - after, "endobj", 6);
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
        if (nums[i] == nums[i - 1]) {
            *dup = nums[i];
            found = 1;
            break;
        }
    free(nums);
    return found;
}

/* --- what changed after signing --- */

static int same_entry(const xref_entry *a, const xref_entry *b)
{
    return a->type == b->type && (a->type == 0 || (a->off == b->off && a->idx == b->idx));
}

static int ser_eq(const pdf_obj *a, const pdf_obj *b)
{
    pdf_buf x = {0}, y = {0};
    int eq;

    if (a == NULL || b == NULL)
        return a == b;
    pdf_buf_obj(&x, a);
    pdf_buf_obj(&y, b);
    eq = !x.failed && !y.failed && x.len == y.len && (x.len == 0 || memcmp(x.p, y.p, x.len) == 0);
    pdf_buf_free(&x);
    pdf_buf_free(&y);
    return eq;
}

static int in_list(const char *k, const char *const *skip)
{
    for (; *skip; skip++)
        if (strcmp(k, *skip) == 0)
            return 1;
    return 0;
}

/* Dictionaries equal except for the keys in skip; *key names the first difference. */
static int dict_eq_except(const pdf_obj *a, const pdf_obj *b, const char *const *skip,
                          const char **key)
{
    size_t i;

    *key = NULL;
    if ((a->type != PDF_DICT && a->type != PDF_STREAM) || a->type != b->type)
        return 0;
    for (i = 0; i < a->u.dict.n; i++)
        if (!in_list(a->u.dict.keys[i], skip) &&
            !ser_eq(a->u.dict.vals[i], pdf_dict_get(b, a->u.dict.keys[i]))) {
            *key = a->u.dict.keys[i];
            return 0;
        }
    for (i = 0; i < b->u.dict.n; i++)
        if (!in_list(b->u.dict.keys[i], skip) && pdf_dict_get(a, b->u.dict.keys[i]) == NULL) {
            *key = b->u.dict.keys[i];
            return 0;
        }
    return 1;
}

/* --- DocMDP (certification) permissions --- */

static double num_val(const pdf_obj *o)
{
    return pdf_num(o);
}

/*
 * A widget that draws on the page: a /Rect of non-zero area, a normal
 * appearance (/AP /N) and neither the Hidden (2) nor the NoView (32) flag.
 */
static int widget_visible(pdf_doc *d, const pdf_obj *w, double r[4])
{
    const pdf_obj *rect = pdf_resolve(d, pdf_dict_get(w, "Rect")), *ap, *f, *n;
    size_t i;

    r[0] = r[1] = r[2] = r[3] = 0;
    if (rect == NULL || rect->type != PDF_ARRAY || rect->u.arr.n != 4)
        return 0;
    for (i = 0; i < 4; i++)
        r[i] = num_val(pdf_resolve(d, rect->u.arr.items[i]));
    if (r[2] - r[0] == 0 || r[3] - r[1] == 0)
        return 0;
    ap = pdf_resolve(d, pdf_dict_get(w, "AP"));
    if (ap == NULL || ap->type != PDF_DICT || pdf_dict_get(ap, "N") == NULL)
        return 0;
    n = pdf_resolve(d, pdf_dict_get(ap, "N"));
    if (n != NULL && n->type == PDF_STREAM && n->u.dict.data_len == 0)
        return 0; /* an empty appearance draws nothing */
    f = pdf_resolve(d, pdf_dict_get(w, "F"));
    if (f != NULL && f->type == PDF_INT && (f->u.integer & (2 | 32)))
        return 0;
    return 1;
}

/* Annotation subtypes that do not draw over page content (comments, markup of text). */
static int comment_subtype(const pdf_obj *st)
{
    static const char *const ok[] = {"Text",     "Highlight", "Underline", "StrikeOut",
                                     "Squiggly", "Popup",     NULL};
    size_t i;

    for (i = 0; ok[i]; i++)
        if (pdf_is_name(st, ok[i]))
            return 1;
    return 0;
}

/*
 * A new item of a page's /Annots or of the AcroForm's /Fields that later
 * revisions may add. Signature fields and their widgets always (for
 * certified documents: not with a visible appearance, Sneaky Signature;
 * with P=1 only for document time-stamps); with P=3 also comment
 * annotations (comment_subtype). *why names a refusal; desc gets a
 * description of an accepted visible signature widget with its rectangle.
 */
static int harmless_item(vctx *c, int p, const pdf_obj *item, const char **why, char *desc,
                         size_t cap)
{
    pdf_doc *d = c->d;
    const pdf_obj *o = pdf_resolve(d, item), *ft, *par, *field, *v, *st, *kids;
    char *buf = c->whybuf;
    double r[4];
    size_t i;
    uint32_t num = item != NULL && item->type == PDF_REF ? item->u.ref.num : 0;

    *why = "an object that is not a signature field";
    if (o == NULL || o->type != PDF_DICT)
        return 0;
    ft = pdf_resolve(d, pdf_dict_get(o, "FT"));
    par = pdf_resolve(d, pdf_dict_get(o, "Parent"));
    st = pdf_resolve(d, pdf_dict_get(o, "Subtype"));
    field = o;
    if (!pdf_is_name(ft, "Sig")) {
        if (par != NULL && par->type == PDF_DICT &&
            pdf_is_name(pdf_resolve(d, pdf_dict_get(par, "FT")), "Sig")) {
            field = par;
        } else {
            if (p == 3 && comment_subtype(st) && ft == NULL)
                return 1;
            if (st != NULL && st->type == PDF_NAME && !pdf_is_name(st, "Widget")) {
                snprintf(buf, sizeof(c->whybuf),
                         p == 3 ? "a %.40s annotation (object %u) that can cover page content "
                                  "(Evil Annotation: only comment annotations are allowed)"
                                : "a %.40s annotation (object %u)",
                         st->u.str.p, num);
                *why = buf;
            }
            return 0;
        }
    }
    v = pdf_resolve(d, pdf_dict_get(field, "V"));
    if (p == 1 && (v == NULL || v->type != PDF_DICT ||
                   !pdf_is_name(pdf_dict_get(v, "Type"), "DocTimeStamp"))) {
        snprintf(buf, sizeof(c->whybuf),
                 "a signature field (object %u) that is not a document time-stamp", num);
        *why = buf;
        return 0;
    }
    /* The widgets: the item itself when it is one, else the field's /Kids. */
    kids = pdf_resolve(d, pdf_dict_get(o, "Kids"));
    for (i = 0; i < (kids != NULL && kids->type == PDF_ARRAY ? kids->u.arr.n : 1) && i < 64; i++) {
        const pdf_obj *w =
            kids != NULL && kids->type == PDF_ARRAY ? pdf_resolve(d, kids->u.arr.items[i]) : o;
        if (w == NULL || w->type != PDF_DICT || !widget_visible(d, w, r))
            continue;
        if (p > 0) {
            snprintf(buf, sizeof(c->whybuf),
                     "a new signature field (object %u) with a visible appearance at "
                     "[%.0f %.0f %.0f %.0f] (Sneaky Signature: only existing empty signature "
                     "fields may be filled)",
                     num, r[0], r[1], r[2], r[3]);
            *why = buf;
            return 0;
        }
        if (v == NULL) {
            snprintf(buf, sizeof(c->whybuf),
                     "a new unsigned signature field (object %u) whose visible appearance at "
                     "[%.0f %.0f %.0f %.0f] draws over the page without being signed",
                     num, r[0], r[1], r[2], r[3]);
            *why = buf;
            return 0;
        }
        if (desc != NULL && cap > 0 && desc[0] == '\0')
            snprintf(desc, cap, "visible signature widget (object %u) at [%.0f %.0f %.0f %.0f]",
                     num, r[0], r[1], r[2], r[3]);
    }
    return 1;
}

static int item_in(const pdf_obj *x, const pdf_obj *arr)
{
    size_t i;

    for (i = 0; arr != NULL && arr->type == PDF_ARRAY && i < arr->u.arr.n; i++) {
        const pdf_obj *y = arr->u.arr.items[i];
        if (x->type == PDF_REF && y->type == PDF_REF) {
            if (x->u.ref.num == y->u.ref.num && x->u.ref.gen == y->u.ref.gen)
                return 1;
        } else if (ser_eq(x, y)) {
            return 1;
        }
    }
    return 0;
}

/*
 * The new array is allowed from the old one: the old items kept in order
 * and new ones at the end that harmless_item accepts; with P=3 items may
 * also be removed (except signature fields/widgets) and added anywhere.
 */
static int array_grows_ok(vctx *c, pdf_doc *od, const pdf_obj *a, const pdf_obj *b,
                          const char **why, char *desc, size_t cap)
{
    size_t i;

    *why = "items were removed";
    if (desc != NULL && cap > 0)
        desc[0] = '\0';
    if (a == NULL || b == NULL || a->type != PDF_ARRAY || b->type != PDF_ARRAY)
        return 0;
    if (a->u.arr.n > MAX_ARRAY_COMPARE || b->u.arr.n > MAX_ARRAY_COMPARE) {
        *why = "too many items to compare";
        return 0;
    }
    if (c->cur_p == 3) {
        for (i = 0; i < a->u.arr.n; i++)
            if (!item_in(a->u.arr.items[i], b)) {
                const pdf_obj *o = pdf_resolve(od, a->u.arr.items[i]);
                if (o == NULL || o->type != PDF_DICT || pdf_dict_get(o, "FT") != NULL ||
                    pdf_is_name(pdf_resolve(od, pdf_dict_get(o, "Subtype")), "Widget"))
                    return 0;
            }
        for (i = 0; i < b->u.arr.n; i++)
            if (!item_in(b->u.arr.items[i], a) &&
                !harmless_item(c, 3, b->u.arr.items[i], why, desc, cap))
                return 0;
        return 1;
    }
    for (i = 0; i < a->u.arr.n; i++)
        if (!item_in(a->u.arr.items[i], b))
            return 0;
    for (i = 0; i < b->u.arr.n; i++)
        if (!item_in(b->u.arr.items[i], a) &&
            !harmless_item(c, c->cur_p, b->u.arr.items[i], why, desc, cap))
            return 0;
    *why = "items were reordered";
    if (b->u.arr.n < a->u.arr.n)
        return 0;
    for (i = 0; i < a->u.arr.n; i++)
        if (!ser_eq(a->u.arr.items[i], b->u.arr.items[i]))
            return 0;
    return 1;
}

typedef struct pages_map {
    uint32_t *page; /* page object numbers */
    uint32_t *content;
    size_t *content_page;
    size_t npage, ncontent;
} pages_map;

static void map_pages(pdf_doc *d, pages_map *m)
{
    size_t count = 0, i, j;
    sertel_err e = {0};

    memset(m, 0, sizeof(*m));
    if (pdf_page_count(d, &count, &e) != SERTEL_OK)
        return;
    if (count > MAX_PAGES_NAMED)
        count = MAX_PAGES_NAMED;
    m->page = calloc(count + 1, sizeof(*m->page));
    m->content = calloc(4 * count + 1, sizeof(*m->content));
    m->content_page = calloc(4 * count + 1, sizeof(*m->content_page));
    if (m->page == NULL || m->content == NULL || m->content_page == NULL)
        return;
    for (i = 1; i <= count; i++) {
        pdf_page pg;
        const pdf_obj *c;
        if (pdf_page_get(d, i, &pg, &e) != SERTEL_OK)
            break;
        m->page[m->npage++] = pg.num;
        c = pdf_dict_get(pg.dict, "Contents");
        if (c != NULL && c->type == PDF_REF && m->ncontent < 4 * count) {
            m->content_page[m->ncontent] = i;
            m->content[m->ncontent++] = c->u.ref.num;
        }
        c = pdf_resolve(d, c);
        for (j = 0; c != NULL && c->type == PDF_ARRAY && j < c->u.arr.n && j < 3; j++)
            if (c->u.arr.items[j]->type == PDF_REF && m->ncontent < 4 * count) {
                m->content_page[m->ncontent] = i;
                m->content[m->ncontent++] = c->u.arr.items[j]->u.ref.num;
            }
    }
}

static void free_pages(pages_map *m)
{
    free(m->page);
    free(m->content);
    free(m->content_page);
}

static const char *type_name(const pdf_obj *o)
{
    const pdf_obj *t;

    if (o == NULL)
        return "object";
    if ((o->type == PDF_DICT || o->type == PDF_STREAM) && (t = pdf_dict_get(o, "Type")) != NULL &&
        t->type == PDF_NAME)
        return t->u.str.p;
    return o->type == PDF_STREAM ? "stream" : o->type == PDF_ARRAY ? "array" : "object";
}

/* --- form fields: filling in (DocMDP P=2, 3) and FieldMDP locks --- */

/*
 * The form field that o (a field or a widget of one) belongs to: its fully
 * qualified name (ISO 32000-1 §12.7.3.2, the /T of o and its ancestors
 * joined by '.') into name and its (inheritable) field type, or NULL when
 * o is no form field.
 */
static const char *form_field(pdf_doc *d, const pdf_obj *o, char *name, size_t cap)
{
    const char *ft = NULL;
    char part[200], tmp[256];
    int depth;

    name[0] = '\0';
    if (o == NULL || o->type != PDF_DICT)
        return NULL;
    if (pdf_dict_get(o, "T") == NULL && pdf_dict_get(o, "FT") == NULL &&
        !pdf_is_name(pdf_resolve(d, pdf_dict_get(o, "Subtype")), "Widget"))
        return NULL;
    for (depth = 0; o != NULL && o->type == PDF_DICT && depth < MAX_FIELD_DEPTH; depth++) {
        const pdf_obj *t = pdf_resolve(d, pdf_dict_get(o, "FT"));
        if (ft == NULL && t != NULL && t->type == PDF_NAME)
            ft = t->u.str.p;
        pdf_text(pdf_resolve(d, pdf_dict_get(o, "T")), part, sizeof(part));
        if (part[0]) {
            /* (a name longer than tmp is cut: it is only reported) */
            if (snprintf(tmp, sizeof(tmp), "%s%s%.120s", part, name[0] ? "." : "", name) < 0)
                tmp[0] = '\0';
            snprintf(name, cap, "%s", tmp);
        }
        o = pdf_resolve(d, pdf_dict_get(o, "Parent"));
    }
    return ft;
}

/* The lock of c's current signature that covers the field name, or NULL. */
static const field_lock *locked_by(vctx *c, const char *name)
{
    size_t i, k;

    for (i = 0; i < c->nlocks; i++) {
        const field_lock *l = &c->locks[i];
        const pdf_obj *fs = pdf_resolve(c->d, l->fields);
        int listed = 0;
        if (strcmp(l->action, "All") == 0)
            return l;
        for (k = 0; fs != NULL && fs->type == PDF_ARRAY && k < fs->u.arr.n && k < 1024; k++) {
            char n[256];
            size_t nl;
            pdf_text(pdf_resolve(c->d, fs->u.arr.items[k]), n, sizeof(n));
            nl = strlen(n);
            /* a name covers the field and its descendants */
            if (nl > 0 && strncmp(name, n, nl) == 0 && (name[nl] == '\0' || name[nl] == '.'))
                listed = 1;
        }
        if ((strcmp(l->action, "Include") == 0) == listed)
            return l;
    }
    return NULL;
}

static void add_lock(vctx *c, const pdf_obj *lk)
{
    const pdf_obj *a = pdf_resolve(c->d, pdf_dict_get(lk, "Action"));
    const char *act = pdf_is_name(a, "All")       ? "All"
                      : pdf_is_name(a, "Include") ? "Include"
                      : pdf_is_name(a, "Exclude") ? "Exclude"
                                                  : "All"; /* unreadable: the strictest */
    if (c->nlocks < VFY_MAX_LOCKS) {
        c->locks[c->nlocks].action = act;
        c->locks[c->nlocks].fields = pdf_dict_get(lk, "Fields");
        c->nlocks++;
    }
}

/* The FieldMDP locks of a signature: its field's /Lock and its FieldMDP /Reference entries. */
static void load_locks(vctx *c, const sigref *ref)
{
    const pdf_obj *v = pdf_resolve(c->d, ref->v), *lk, *refs;
    size_t i;

    c->nlocks = 0;
    lk = ref->field != NULL ? pdf_resolve(c->d, pdf_dict_get(ref->field, "Lock")) : NULL;
    if (lk != NULL && lk->type == PDF_DICT)
        add_lock(c, lk);
    refs =
        v != NULL && v->type == PDF_DICT ? pdf_resolve(c->d, pdf_dict_get(v, "Reference")) : NULL;
    for (i = 0; refs != NULL && refs->type == PDF_ARRAY && i < refs->u.arr.n && i < 16; i++) {
        const pdf_obj *r = pdf_resolve(c->d, refs->u.arr.items[i]), *tp;
        if (r == NULL || r->type != PDF_DICT ||
            !pdf_is_name(pdf_resolve(c->d, pdf_dict_get(r, "TransformMethod")), "FieldMDP"))
            continue;
        tp = pdf_resolve(c->d, pdf_dict_get(r, "TransformParams"));
        if (tp != NULL && tp->type == PDF_DICT)
            add_lock(c, tp);
    }
}

/*
 * A redefined form field or widget: filling in (a new /V, appearance /AP,
 * appearance state /AS, nothing else) is allowed except under DocMDP P=1;
 * any change to a field locked by the signature (FieldMDP) is not.
 * 0: not a form field (the caller goes on).
 */
static int classify_form_field(vctx *c, pdf_doc *od, uint32_t num, const pdf_obj *a,
                               const pdf_obj *b, vfy_sig *s)
{
    static const char *const skip[] = {"V", "AP", "AS", NULL};
    char name[256];
    const char *ft = form_field(od, a, name, sizeof(name)), *key = NULL;
    const field_lock *lk;

    if (ft == NULL || strcmp(ft, "Sig") == 0 || b == NULL || b->type != PDF_DICT)
        return 0;
    if ((lk = locked_by(c, name)) != NULL) {
        vfy_change(s, 0,
                   "form field %s was changed, but this signature locks it (FieldMDP /Action "
                   "/%s) (object %u)",
                   name[0] ? name : "(unnamed)", lk->action, num);
        return 1;
    }
    if (!dict_eq_except(a, b, skip, &key))
        return 0;
    if (strcmp(ft, "Btn") == 0) {
        /* a push button (field flag 17) holds no value: a new look is no filling in */
        const pdf_obj *ff = pdf_resolve(od, pdf_dict_get(a, "Ff"));
        if (ff == NULL && pdf_dict_get(a, "Parent") != NULL)
            ff = pdf_resolve(od, pdf_dict_get(pdf_resolve(od, pdf_dict_get(a, "Parent")), "Ff"));
        if (ff != NULL && ff->type == PDF_INT && (ff->u.integer & (1 << 16)))
            return 0;
    }
    vfy_change(s, c->cur_p == 1 ? 0 : 1, "form field %s filled in (object %u)",
               name[0] ? name : "(unnamed)", num);
    return 1;
}

/* /NeedAppearances of an AcroForm changed: part of filling in a form. */
static void need_appearances(vctx *c, const pdf_obj *af, const pdf_obj *bf, uint32_t num,
                             vfy_sig *s)
{
    if (ser_eq(pdf_dict_get(af, "NeedAppearances"), pdf_dict_get(bf, "NeedAppearances")))
        return;
    vfy_change(s, c->cur_p == 1 ? 0 : 1, "form: /NeedAppearances changed (object %u)", num);
}

/* Classify one object that a later revision redefined. */
static void classify(vctx *c, pdf_doc *od, uint32_t num, const pages_map *pm, uint32_t acroform,
                     uint32_t info, vfy_sig *s)
{
    const pdf_obj *a, *b;
    const char *key = NULL, *why = NULL;
    sertel_err e = {0};
    size_t i;

    if (pdf_load(od, num, &a, &e) != SERTEL_OK || pdf_load(c->d, num, &b, &e) != SERTEL_OK) {
        vfy_change(s, 0, "object %u was redefined and cannot be read", num);
        return;
    }
    for (i = 0; i < pm->npage; i++)
        if (pm->page[i] == num) {
            static const char *const skip[] = {"Annots", NULL};
            char desc[160];
            /* A page without /Annots in the signed revision compares as an empty
             * array. (Not a compound literal inside the if: its lifetime ended
             * with that statement, and at -O2 the storage was reused, so a page
             * that first got /Annots from a later signature was reported as
             * "annotations changed: items were removed".) */
            pdf_obj no_annots = {.type = PDF_ARRAY};
            const pdf_obj *oa = pdf_resolve(od, pdf_dict_get(a, "Annots"));
            if (oa == NULL && pdf_dict_get(a, "Annots") == NULL)
                oa = &no_annots;
            if (!dict_eq_except(a, b, skip, &key)) {
                vfy_change(s, 0, "page %zu changed: /%s (object %u)", i + 1, key ? key : "?", num);
            } else if (array_grows_ok(c, od, oa, pdf_resolve(c->d, pdf_dict_get(b, "Annots")), &why,
                                      desc, sizeof(desc))) {
                vfy_change(s, 1, "page %zu: %s (object %u)", i + 1,
                           desc[0]         ? desc
                           : c->cur_p == 3 ? "signature widgets or comment annotations changed"
                                           : "signature widget added",
                           num);
            } else {
                vfy_change(s, 0, "page %zu: annotations changed: %s (object %u)", i + 1,
                           why ? why : "changed", num);
            }
            return;
        }
    for (i = 0; i < pm->ncontent; i++)
        if (pm->content[i] == num) {
            vfy_change(s, 0, "content of page %zu changed (object %u)", pm->content_page[i], num);
            return;
        }
    if (pdf_is_name(pdf_dict_get(a, "Type"), "Catalog")) {
        static const char *const skip[] = {"AcroForm", "DSS", "Perms", "Extensions", NULL};
        if (dict_eq_except(a, b, skip, &key)) {
            const pdf_obj *af = pdf_dict_get(a, "AcroForm"), *bf = pdf_dict_get(b, "AcroForm");
            static const char *const afskip[] = {"Fields", "SigFlags", "NeedAppearances", NULL};
            if (af != NULL && af->type == PDF_DICT) { /* inline AcroForm */
                if (bf == NULL || bf->type != PDF_DICT || !dict_eq_except(af, bf, afskip, &key) ||
                    !array_grows_ok(c, od, pdf_resolve(od, pdf_dict_get(af, "Fields")),
                                    pdf_resolve(c->d, pdf_dict_get(bf, "Fields")), &why, NULL, 0)) {
                    vfy_change(s, 0, "form (AcroForm) changed beyond new signature fields: %s",
                               key ? key : why);
                    return;
                }
                need_appearances(c, af, bf, num, s);
            }
            vfy_change(s, 1, "catalog: AcroForm/DSS/Extensions updated (object %u)", num);
        } else {
            vfy_change(s, 0, "catalog changed: /%s (object %u)", key ? key : "?", num);
        }
        return;
    }
    if (num == acroform) {
        static const char *const skip[] = {"Fields", "SigFlags", "NeedAppearances", NULL};
        if (dict_eq_except(a, b, skip, &key) &&
            array_grows_ok(c, od, pdf_resolve(od, pdf_dict_get(a, "Fields")),
                           pdf_resolve(c->d, pdf_dict_get(b, "Fields")), &why, NULL, 0)) {
            need_appearances(c, a, b, num, s);
            if (!ser_eq(pdf_dict_get(a, "Fields"), pdf_dict_get(b, "Fields")))
                vfy_change(s, 1, "form: signature field added (object %u)", num);
        } else
            vfy_change(s, 0, "form (AcroForm) changed: %s (object %u)", key ? key : why, num);
        return;
    }
    if (num == info) {
        vfy_change(s, 1, "document information updated (object %u)", num);
        return;
    }
    if (pdf_is_name(pdf_dict_get(a, "Type"), "DSS")) {
        vfy_change(s, 1, "DSS updated (object %u)", num);
        return;
    }
    if (a->type == PDF_ARRAY) {
        char desc[160];
        if (array_grows_ok(c, od, a, b, &why, desc, sizeof(desc)))
            vfy_change(s, 1, "%s (array object %u)",
                       desc[0] ? desc : "signature field added to an array", num);
        else
            vfy_change(s, 0, "array changed: %s (object %u)", why, num);
        return;
    }
    /* P=3: comment annotations may be modified, but not into ones that cover content. */
    if (c->cur_p == 3 && a->type == PDF_DICT && b->type == PDF_DICT &&
        comment_subtype(pdf_resolve(od, pdf_dict_get(a, "Subtype"))) &&
        pdf_dict_get(a, "FT") == NULL) {
        const pdf_obj *bst = pdf_resolve(c->d, pdf_dict_get(b, "Subtype"));
        if (comment_subtype(bst) && pdf_dict_get(b, "FT") == NULL)
            vfy_change(s, 1, "comment annotation modified (object %u)", num);
        else
            vfy_change(s, 0,
                       "comment annotation turned into %s (object %u), which can cover page "
                       "content (Evil Annotation)",
                       bst != NULL && bst->type == PDF_NAME ? bst->u.str.p : "something else", num);
        return;
    }
    if (classify_form_field(c, od, num, a, b, s))
        return;
    if (a->type == PDF_DICT && pdf_is_name(pdf_resolve(od, pdf_dict_get(a, "FT")), "Sig") &&
        pdf_dict_get(a, "V") == NULL) {
        static const char *const skip[] = {"V", NULL};
        if (dict_eq_except(a, b, skip, &key)) {
            const pdf_obj *v = pdf_resolve(c->d, pdf_dict_get(b, "V"));
            if (c->cur_p == 1 && (v == NULL || v->type != PDF_DICT ||
                                  !pdf_is_name(pdf_dict_get(v, "Type"), "DocTimeStamp")))
                vfy_change(s, 0, "signature field signed (object %u)", num);
            else
                vfy_change(s, 1, "empty signature field filled (object %u)", num);
            return;
        }
    }
    vfy_change(s, 0, "%s changed (object %u)", type_name(a), num);
}

static void analyse_changes(vctx *c, vfy_sig *s)
{
    pdf_doc *od = NULL;
    sertel_err e = {0};
    const pdf_obj *ocat = NULL, *t;
    uint32_t oroot = 0, froot = 0, num, acroform = 0, info = 0, added = 0;
    uint16_t g;
    pages_map pm;

    if (pdf_open_mem_pw(c->buf, (size_t)s->revision_end, c->o->password, &od, &e) != SERTEL_OK) {
        vfy_change(s, 0, "the signed revision cannot be read on its own: %s", e.msg);
        return;
    }
    if (pdf_catalog(od, &ocat, &oroot, &g, &e) != SERTEL_OK) {
        vfy_change(s, 0, "the signed revision has no catalog");
        pdf_close(od);
        return;
    }
    {
        const pdf_obj *fcat;
        if (pdf_catalog(c->d, &fcat, &froot, &g, &e) != SERTEL_OK || froot != oroot)
            vfy_change(s, 0, "the document catalog was replaced");
    }
    t = pdf_dict_get(ocat, "AcroForm");
    if (t != NULL && t->type == PDF_REF)
        acroform = t->u.ref.num;
    t = pdf_dict_get(pdf_trailer(od), "Info");
    if (t != NULL && t->type == PDF_REF)
        info = t->u.ref.num;
    map_pages(od, &pm);
    for (num = 1; num < c->d->nxref || num < od->nxref; num++) {
        static const xref_entry none = {0};
        const xref_entry *fe = num < c->d->nxref ? &c->d->xref[num] : &none;
        const xref_entry *oe = num < od->nxref ? &od->xref[num] : &none;
        if (same_entry(fe, oe))
            continue;
        if (fe->type == 0)
            vfy_change(s, 0, "object %u deleted", num);
        else if (oe->type == 0)
            added++;
        else
            classify(c, od, num, &pm, acroform, info, s);
    }
    if (added)
        vfy_change(s, 1, "%u new objects", added);
    {
        size_t pa = 0, pb = 0;
        if (pdf_page_count(od, &pa, &e) == SERTEL_OK &&
            pdf_page_count(c->d, &pb, &e) == SERTEL_OK && pa != pb)
            vfy_change(s, 0, "page count changed from %zu to %zu", pa, pb);
    }
    free_pages(&pm);
    pdf_close(od);
}

/* --- one signature --- */

static void verify_one(vctx *c, const sigref *ref, vfy_sig *s)
{
    const pdf_obj *v = pdf_resolve(c->d, ref->v), *x, *contents;
    const char *why = NULL;
    unsigned char *der = NULL;
    size_t hexlen, derlen, i, total;
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
    pdf_text(pdf_resolve(c->d, pdf_dict_get(v, "Reason")), s->reason, sizeof(s->reason));
    pdf_text(pdf_resolve(c->d, pdf_dict_get(v, "Location")), s->location, sizeof(s->location));

    if (vfy_check_byterange(c->buf, c->len, pdf_resolve(c->d, pdf_dict_get(v, "ByteRange")),
                            s->byterange, &why) != 0) {
        vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE", "%s", why);
        return;
    }
    s->revision_end = s->byterange[2] + s->byterange[3];
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
        if (e == NULL || e->type != 1 || e->off >= s->byterange[1]) {
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
        const unsigned char *h = c->buf + s->byterange[1] + 1 + 2 * i;
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
    rg.buf = c->buf;
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

/* Prefix every change of s with the DocMDP rule that forbids it. */
static void name_docmdp(vfy_sig *s, int p)
{
    size_t i;

    for (i = 0; i < s->n_changes; i++) {
        size_t n = strlen(s->changes[i]) + 64;
        char *x;
        if (strstr(s->changes[i], "(FieldMDP") != NULL)
            continue; /* forbidden by the signature's own lock, whatever P says */
        x = malloc(n);
        if (x == NULL)
            continue;
        snprintf(x, n, "not permitted by the certification (DocMDP P=%d): %s", p, s->changes[i]);
        free(s->changes[i]);
        s->changes[i] = x;
    }
}

static int cmp_sig(const void *a, const void *b)
{
    const vfy_sig *x = a, *y = b;
    return x->revision_end < y->revision_end ? -1 : x->revision_end > y->revision_end;
}

static int only_ws(const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!pdf_is_ws(p[i]))
            return 0;
    return 1;
}

static int verify_doc(pdf_doc *d, const vfy_opts *o, vfy_report **out, sertel_err *err)
{
    vctx c;
    finder f = {d, NULL, 0, 0};
    const pdf_obj *cat, *af;
    uint32_t cnum;
    uint16_t cgen;
    uint64_t *eofs = NULL;
    size_t neofs, i, prev = 0;
    uint32_t dup = 0;
    int dup_found = 0, rc;

    memset(&c, 0, sizeof(c));
    c.d = d;
    c.buf = d->buf;
    c.len = d->len;
    c.o = o;
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
    vfy_revdata_load_dss(d, cat, &c.rd);
    if (pdf_was_recovered(d))
        vfy_report_note(c.r, "the cross-reference is damaged and was recovered by scanning");
    af = pdf_resolve(d, pdf_dict_get(cat, "AcroForm"));
    if (af != NULL && af->type == PDF_DICT)
        walk_fields(&f, pdf_dict_get(af, "Fields"), "", 0, 0);

    neofs = find_eofs(c.buf, c.len, &eofs);
    c.r->n_revisions = (unsigned)neofs;
    for (i = 0; i < neofs && !dup_found; i++) {
        dup_found = find_duplicates(c.buf, prev, (size_t)eofs[i], &dup);
        prev = (size_t)eofs[i];
    }
    if (!dup_found && prev < c.len)
        dup_found = find_duplicates(c.buf, prev, c.len, &dup);
    if (dup_found)
        vfy_report_note(c.r, "object %u is defined twice in one revision (object collision)", dup);

    {
        const pdf_obj *perms = pdf_resolve(d, pdf_dict_get(cat, "Perms"));
        const pdf_obj *mdp =
            perms != NULL && perms->type == PDF_DICT ? pdf_dict_get(perms, "DocMDP") : NULL;
        int found = 0;
        for (i = 0; i < f.n; i++) {
            vfy_sig *s = new_sig(c.r);
            if (s == NULL)
                break;
            verify_one(&c, &f.refs[i], s);
            if (mdp != NULL && mdp->type == PDF_REF && f.refs[i].v->type == PDF_REF &&
                f.refs[i].v->u.ref.num == mdp->u.ref.num && !found) {
                const pdf_obj *v = pdf_resolve(d, f.refs[i].v);
                found = 1;
                s->certification = v != NULL && v->type == PDF_DICT ? docmdp_p(d, v) : 0;
                if (s->certification == 0)
                    vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE",
                            "/Perms /DocMDP names this signature, but it has no DocMDP "
                            "/Reference");
                c.r->certification = s->certification;
                if (s->certification != 0 && s->revision_end > 0) {
                    c.cert_p = s->certification;
                    c.cert_end = s->revision_end;
                }
            }
        }
        if (mdp != NULL && !found)
            vfy_report_note(c.r, "/Perms /DocMDP does not name a signature of the document");
    }
    if (c.r->n_sigs > 1)
        qsort(c.r->sigs, c.r->n_sigs, sizeof(*c.r->sigs), cmp_sig);
    for (i = 0; i < c.r->n_sigs; i++) {
        vfy_sig *s = &c.r->sigs[i];
        if (dup_found)
            vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE",
                    "object %u is defined twice in one revision: readers may disagree on the "
                    "content (object collision)",
                    dup);
        if (s->revision_end == 0)
            continue;
        s->covers_whole_document =
            s->revision_end == c.len || only_ws(c.buf + s->revision_end, c.len - s->revision_end);
        c.cur_p = c.cert_p && s->revision_end >= c.cert_end ? c.cert_p : 0;
        if (c.cert_p && s->revision_end < c.cert_end && !s->doc_timestamp)
            vfy_note(s, "a signature before the certification signature: a certification "
                        "signature must be the first signature of the document");
        if (!s->covers_whole_document) {
            size_t k;
            c.nlocks = 0;
            for (k = 0; k < f.n; k++)
                if (strcmp(f.refs[k].name, s->field) == 0) {
                    load_locks(&c, &f.refs[k]);
                    break;
                }
            analyse_changes(&c, s);
        }
        if (c.cur_p)
            name_docmdp(s, c.cur_p);
        if (s->modified_after_signing)
            vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE",
                    "the document was changed after this signature: %s", s->changes[0]);
    }
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
    vfy_revdata_free(&c.rd);
    cms_fetch_ctx_free(c.fx);
    finish_report(c.r);
    free(eofs);
    free(f.refs);
    *out = c.r;
    return SERTEL_OK;
}

int pdf_verify_file(const char *path, const vfy_opts *o, vfy_report **out, sertel_err *err)
{
    pdf_doc *d = NULL;
    int rc = pdf_open_file_pw(path, o->password, &d, err);

    if (rc != SERTEL_OK)
        return rc;
    rc = verify_doc(d, o, out, err);
    pdf_close(d);
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
    pdf_doc *d = NULL;
    int rc = pdf_open_mem_pw(data, len, o->password, &d, err);

    if (rc != SERTEL_OK) {
        if (name != NULL)
            sertel_err_prefix(err, "%s", name);
        return rc;
    }
    rc = verify_doc(d, o, out, err);
    pdf_close(d);
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
    s = new_sig(r);
    if (s != NULL) {
        snprintf(s->subfilter, sizeof(s->subfilter), "CAdES-detached");
        s->covers_whole_document = 1;
        (void)vfy_check_cms(der, derlen, dfn, darg, o, NULL, fx, s);
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
