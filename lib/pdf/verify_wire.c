/*
 * verify_wire.c - the validation report (vfy_report) as data that crosses
 * a process boundary: JSON (RFC 8259) holding every member of the
 * structs, written by the sandboxed worker and read back by its caller
 * (verify_job.c). Unlike the report for people (verify_report.c,
 * docs/verify-json.md) it is lossless, so a report read back prints and
 * serialises exactly as the one that was written.
 *
 * The reader treats its input as hostile (it comes from the process that
 * parsed a hostile document): duplicate keys are refused, every string
 * must fit its field (no truncation, no NUL), every list its bound
 * (VFY_MAX_SIGS signatures, VFY_MAX_CHANGES entries of under 512 bytes,
 * VFY_MAX_CHAIN_REV revocation entries), every number its range, and a
 * missing or mistyped member fails the whole report.
 */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/verify_job.h"

#define WIRE_VERSION 1
#define WIRE_STR_MAX 512 /* the lists' entries are formatted into 512 bytes (verify_cms.c) */

typedef struct str_field {
    const char *name;
    size_t off, cap;
} str_field;

typedef struct int_field {
    const char *name;
    size_t off;
    int min, max;
} int_field;

typedef struct list_field {
    const char *name;
    size_t arr, n;
} list_field;

#define SIG_STR(f)                                                                                 \
    {                                                                                              \
#f, offsetof(vfy_sig, f), sizeof(((vfy_sig *)0)->f)                                        \
    }
static const str_field sig_strs[] = {
    SIG_STR(field),
    SIG_STR(subfilter),
    SIG_STR(sub_indication),
    SIG_STR(signer_name),
    SIG_STR(signer_subject),
    SIG_STR(signer_issuer),
    SIG_STR(signer_serial),
    SIG_STR(signer_not_before),
    SIG_STR(signer_not_after),
    SIG_STR(hash_value),
    SIG_STR(signature_value),
    SIG_STR(claimed_time),
    SIG_STR(timestamp_time),
    SIG_STR(timestamp_tsa),
    SIG_STR(tsa_not_before),
    SIG_STR(tsa_not_after),
    SIG_STR(level),
    SIG_STR(certificate_status),
    SIG_STR(revocation),
    SIG_STR(revocation_source),
    SIG_STR(revocation_time),
    SIG_STR(revocation_reason),
    SIG_STR(revocation_invalidity),
    SIG_STR(anchor_sha256),
    SIG_STR(timestamp_unverified),
    SIG_STR(reason),
    SIG_STR(location),
};

#define SIG_INT(f, lo, hi)                                                                         \
    {                                                                                              \
#f, offsetof(vfy_sig, f), lo, hi                                                           \
    }
static const int_field sig_ints[] = {
    SIG_INT(doc_timestamp, 0, 1),
    SIG_INT(certification, 0, 3),
    SIG_INT(integrity, 0, 1),
    SIG_INT(covers_whole_document, 0, 1),
    SIG_INT(modified_after_signing, 0, 1),
    SIG_INT(has_timestamp, 0, 1),
    SIG_INT(timestamp_present, 0, 1),
    SIG_INT(changes_analysed, 0, 1),
    SIG_INT(visual_checked, 0, 1),
    SIG_INT(visual_compared, 0, VFY_VISUAL_MAX_PAGES),
    SIG_INT(visual_rendered, 0, VFY_VISUAL_MAX_PAGES),
    SIG_INT(visual_pages, 0, INT_MAX),
    SIG_INT(visual_dpi, 0, 1200),
};

#define SIG_LIST(f)                                                                                \
    {                                                                                              \
#f, offsetof(vfy_sig, f), offsetof(vfy_sig, n_##f)                                         \
    }
static const list_field sig_lists[] = {
    SIG_LIST(changes),
    SIG_LIST(harmless),
    SIG_LIST(reasons),
};

#define REV_STR(f)                                                                                 \
    {                                                                                              \
#f, offsetof(vfy_certrev, f), sizeof(((vfy_certrev *)0)->f)                                \
    }
static const str_field rev_strs[] = {
    REV_STR(role),   REV_STR(subject), REV_STR(status),
    REV_STR(source), REV_STR(time),    REV_STR(reason),
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* --- writing --- */

static json_t *str_list(char *const *a, size_t n)
{
    json_t *arr = json_array();
    size_t i;

    for (i = 0; arr != NULL && i < n; i++)
        if (json_array_append_new(arr, json_string(a[i] != NULL ? a[i] : "")) != 0) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

static int put(json_t *o, const char *k, json_t *v)
{
    return v != NULL && json_object_set_new(o, k, v) == 0 ? 0 : -1;
}

/* The named changes: [{object, kind, level, permitted, detail}]. */
static json_t *mods_json(const vfy_sig *s)
{
    json_t *arr = json_array();
    size_t i;

    for (i = 0; arr != NULL && i < s->n_mods && i < VFY_MAX_CHANGES; i++) {
        const vfy_mod *m = &s->mods[i];
        json_t *x = json_pack("{s:I, s:s, s:i, s:i, s:s}", "object", (json_int_t)m->object, "kind",
                              m->kind, "level", (int)m->level, "permitted", m->permitted, "detail",
                              m->detail != NULL ? m->detail : "");
        if (x == NULL || json_array_append_new(arr, x) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* The pages that look different (verify_visual.c). */
static json_t *differ_json(const vfy_sig *s)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; a != NULL && i < s->n_visual_differ && i < VFY_VISUAL_MAX_PAGES; i++)
        if (json_array_append_new(a, json_integer(s->visual_differ[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static int read_differ(const json_t *a, vfy_sig *s)
{
    size_t i;

    if (!json_is_array(a) || json_array_size(a) > VFY_VISUAL_MAX_PAGES)
        return -1;
    for (i = 0; i < json_array_size(a); i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > INT_MAX)
            return -1;
        s->visual_differ[i] = (int)json_integer_value(v);
    }
    s->n_visual_differ = json_array_size(a);
    return 0;
}

static json_t *sig_json(const vfy_sig *s)
{
    json_t *o = json_object(), *cr = json_array(), *br = json_array();
    const char *base = (const char *)s;
    size_t i;
    int bad = o == NULL || cr == NULL || br == NULL;

    for (i = 0; !bad && i < N(sig_strs); i++)
        bad = put(o, sig_strs[i].name, json_string(base + sig_strs[i].off)) != 0;
    for (i = 0; !bad && i < N(sig_ints); i++)
        bad = put(o, sig_ints[i].name, json_integer(*(const int *)(base + sig_ints[i].off))) != 0;
    for (i = 0; !bad && i < N(sig_lists); i++)
        bad = put(o, sig_lists[i].name,
                  str_list(*(char *const *const *)(base + sig_lists[i].arr),
                           *(const size_t *)(base + sig_lists[i].n))) != 0;
    if (!bad)
        bad = put(o, "conclusion", json_integer((json_int_t)s->conclusion)) != 0 ||
              put(o, "modification_level", json_integer((json_int_t)s->modification_level)) != 0 ||
              put(o, "mods", mods_json(s)) != 0 || put(o, "visual_differ", differ_json(s)) != 0;
    for (i = 0; !bad && i < s->n_chain_rev && i < VFY_MAX_CHAIN_REV; i++) {
        const char *e = (const char *)&s->chain_rev[i];
        json_t *x = json_object();
        size_t k;
        bad = x == NULL;
        for (k = 0; !bad && k < N(rev_strs); k++)
            bad = put(x, rev_strs[k].name, json_string(e + rev_strs[k].off)) != 0;
        if (bad || json_array_append_new(cr, x) != 0) {
            json_decref(x);
            bad = 1;
        }
    }
    for (i = 0; !bad && i < 4; i++)
        bad = json_array_append_new(br, json_integer((json_int_t)s->byterange[i])) != 0;
    if (!bad) {
        bad = json_object_set_new(o, "chain_rev", cr) != 0;
        cr = NULL;
    }
    if (!bad) {
        bad = json_object_set_new(o, "byterange", br) != 0;
        br = NULL;
    }
    if (!bad)
        bad = put(o, "revision_end", json_integer((json_int_t)s->revision_end)) != 0;
    json_decref(cr);
    json_decref(br);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int vfy_report_encode(const vfy_report *r, unsigned char **out, size_t *len, sertel_err *err)
{
    json_t *root = json_object(), *sigs = json_array();
    char *s = NULL;
    size_t i;
    int bad = root == NULL || sigs == NULL;

    *out = NULL;
    *len = 0;
    if (!bad)
        bad = put(root, "version", json_integer(WIRE_VERSION)) != 0 ||
              put(root, "conclusion", json_integer((json_int_t)r->conclusion)) != 0 ||
              put(root, "sub_indication", json_string(r->sub_indication)) != 0 ||
              put(root, "n_revisions", json_integer((json_int_t)r->n_revisions)) != 0 ||
              put(root, "certification", json_integer(r->certification)) != 0 ||
              put(root, "detached", json_integer(r->detached)) != 0 ||
              put(root, "validation_time", json_string(r->validation_time)) != 0 ||
              put(root, "validation_time_given", json_integer(r->validation_time_given)) != 0 ||
              put(root, "notes", str_list(r->notes, r->n_notes)) != 0;
    for (i = 0; !bad && i < r->n_sigs; i++) {
        json_t *o = sig_json(&r->sigs[i]);
        if (o == NULL || json_array_append_new(sigs, o) != 0)
            bad = 1;
    }
    if (!bad) {
        bad = json_object_set_new(root, "sigs", sigs) != 0;
        sigs = NULL;
    }
    if (!bad)
        s = json_dumps(root, JSON_COMPACT);
    json_decref(sigs);
    json_decref(root);
    if (s == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory writing the report");
    *len = strlen(s);
    *out = (unsigned char *)s;
    return SERTEL_OK;
}

/* --- reading --- */

static int get_str(const json_t *o, const char *k, char *dst, size_t cap)
{
    const json_t *v = json_object_get(o, k);
    size_t n;

    if (!json_is_string(v))
        return -1;
    n = json_string_length(v);
    if (n >= cap || strlen(json_string_value(v)) != n)
        return -1;
    memcpy(dst, json_string_value(v), n + 1);
    return 0;
}

static int get_int(const json_t *o, const char *k, json_int_t lo, json_int_t hi, json_int_t *v)
{
    const json_t *x = json_object_get(o, k);

    if (!json_is_integer(x) || json_integer_value(x) < lo || json_integer_value(x) > hi)
        return -1;
    *v = json_integer_value(x);
    return 0;
}

/* x, a string of under WIRE_STR_MAX bytes without NUL, malloc'd into *dst. */
static int dup_str(const json_t *x, char **dst)
{
    size_t len;

    *dst = NULL;
    if (!json_is_string(x) || (len = json_string_length(x)) >= WIRE_STR_MAX ||
        strlen(json_string_value(x)) != len || (*dst = malloc(len + 1)) == NULL)
        return -1;
    memcpy(*dst, json_string_value(x), len + 1);
    return 0;
}

static void free_list(char **a, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(a[i]);
    free(a);
}

static int get_list(const json_t *o, const char *k, char ***arr, size_t *n)
{
    const json_t *a = json_object_get(o, k);
    size_t i, cnt;
    char **v;

    *arr = NULL;
    *n = 0;
    if (!json_is_array(a) || (cnt = json_array_size(a)) > VFY_MAX_CHANGES)
        return -1;
    if (cnt == 0)
        return 0;
    v = calloc(cnt, sizeof(*v));
    if (v == NULL)
        return -1;
    for (i = 0; i < cnt; i++) {
        if (dup_str(json_array_get(a, i), &v[i]) != 0) {
            free_list(v, i);
            return -1;
        }
    }
    *arr = v;
    *n = cnt;
    return 0;
}

static int read_mods(const json_t *a, vfy_sig *s)
{
    size_t i, cnt;

    if (!json_is_array(a) || (cnt = json_array_size(a)) > VFY_MAX_CHANGES)
        return -1;
    if (cnt == 0)
        return 0;
    s->mods = calloc(cnt, sizeof(*s->mods));
    if (s->mods == NULL)
        return -1;
    for (i = 0; i < cnt; i++) {
        const json_t *x = json_array_get(a, i);
        vfy_mod *m = &s->mods[i];
        json_int_t v;
        s->n_mods = i + 1; /* what is filled is freed with the report */
        if (!json_is_object(x) || get_int(x, "object", 0, 0xffffffffLL, &v) != 0)
            return -1;
        m->object = (uint32_t)v;
        if (get_str(x, "kind", m->kind, sizeof(m->kind)) != 0 ||
            get_int(x, "level", VFY_MOD_NONE, VFY_MOD_OTHER, &v) != 0)
            return -1;
        m->level = (vfy_modlevel)v;
        if (get_int(x, "permitted", 0, 1, &v) != 0)
            return -1;
        m->permitted = (int)v;
        if (dup_str(json_object_get(x, "detail"), &m->detail) != 0)
            return -1;
    }
    return 0;
}

static int read_sig(const json_t *o, vfy_sig *s)
{
    char *base = (char *)s;
    const json_t *cr, *br;
    json_int_t v;
    size_t i;

    if (!json_is_object(o))
        return -1;
    for (i = 0; i < N(sig_strs); i++)
        if (get_str(o, sig_strs[i].name, base + sig_strs[i].off, sig_strs[i].cap) != 0)
            return -1;
    for (i = 0; i < N(sig_ints); i++) {
        if (get_int(o, sig_ints[i].name, sig_ints[i].min, sig_ints[i].max, &v) != 0)
            return -1;
        *(int *)(base + sig_ints[i].off) = (int)v;
    }
    for (i = 0; i < N(sig_lists); i++)
        if (get_list(o, sig_lists[i].name, (char ***)(base + sig_lists[i].arr),
                     (size_t *)(base + sig_lists[i].n)) != 0)
            return -1;
    if (get_int(o, "conclusion", VFY_TOTAL_PASSED, VFY_TOTAL_FAILED, &v) != 0)
        return -1;
    s->conclusion = (vfy_conclusion)v;
    if (get_int(o, "modification_level", VFY_MOD_NONE, VFY_MOD_OTHER, &v) != 0)
        return -1;
    s->modification_level = (vfy_modlevel)v;
    if (read_mods(json_object_get(o, "mods"), s) != 0 ||
        read_differ(json_object_get(o, "visual_differ"), s) != 0)
        return -1;
    cr = json_object_get(o, "chain_rev");
    if (!json_is_array(cr) || json_array_size(cr) > VFY_MAX_CHAIN_REV)
        return -1;
    for (i = 0; i < json_array_size(cr); i++) {
        const json_t *x = json_array_get(cr, i);
        char *e = (char *)&s->chain_rev[i];
        size_t k;
        if (!json_is_object(x))
            return -1;
        for (k = 0; k < N(rev_strs); k++)
            if (get_str(x, rev_strs[k].name, e + rev_strs[k].off, rev_strs[k].cap) != 0)
                return -1;
    }
    s->n_chain_rev = json_array_size(cr);
    br = json_object_get(o, "byterange");
    if (!json_is_array(br) || json_array_size(br) != 4)
        return -1;
    for (i = 0; i < 4; i++) {
        const json_t *x = json_array_get(br, i);
        if (!json_is_integer(x) || json_integer_value(x) < 0)
            return -1;
        s->byterange[i] = (uint64_t)json_integer_value(x);
    }
    if (get_int(o, "revision_end", 0, INT64_MAX, &v) != 0)
        return -1;
    s->revision_end = (uint64_t)v;
    return 0;
}

int vfy_report_decode(const unsigned char *in, size_t len, vfy_report **out, sertel_err *err)
{
    json_t *root = NULL;
    json_error_t jerr;
    const json_t *sigs;
    vfy_report *r = NULL;
    json_int_t v;
    size_t i, n;
    int rc = SERTEL_ERR_INVALID;

    *out = NULL;
    root = json_loadb((const char *)in, len, JSON_REJECT_DUPLICATES, &jerr);
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (!json_is_object(root) || get_int(root, "version", WIRE_VERSION, WIRE_VERSION, &v) != 0)
        goto bad;
    if (get_int(root, "conclusion", VFY_TOTAL_PASSED, VFY_TOTAL_FAILED, &v) != 0)
        goto bad;
    r->conclusion = (vfy_conclusion)v;
    if (get_str(root, "sub_indication", r->sub_indication, sizeof(r->sub_indication)) != 0 ||
        get_int(root, "n_revisions", 0, 0xffffffffLL, &v) != 0)
        goto bad;
    r->n_revisions = (unsigned)v;
    if (get_int(root, "certification", 0, 3, &v) != 0)
        goto bad;
    r->certification = (int)v;
    if (get_int(root, "detached", 0, 1, &v) != 0)
        goto bad;
    r->detached = (int)v;
    if (get_str(root, "validation_time", r->validation_time, sizeof(r->validation_time)) != 0 ||
        get_int(root, "validation_time_given", 0, 1, &v) != 0)
        goto bad;
    r->validation_time_given = (int)v;
    if (get_list(root, "notes", &r->notes, &r->n_notes) != 0)
        goto bad;
    sigs = json_object_get(root, "sigs");
    if (!json_is_array(sigs) || (n = json_array_size(sigs)) > VFY_MAX_SIGS)
        goto bad;
    if (n > 0) {
        r->sigs = calloc(n, sizeof(*r->sigs));
        if (r->sigs == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    for (i = 0; i < n; i++) {
        r->n_sigs = i + 1; /* what read_sig filled is freed with the report */
        if (read_sig(json_array_get(sigs, i), &r->sigs[i]) != 0)
            goto bad;
    }
    *out = r;
    r = NULL;
    rc = SERTEL_OK;
    goto out;
bad:
    rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                        "the validation report from the checking process is malformed");
out:
    vfy_report_free(r);
    json_decref(root);
    return rc;
}
