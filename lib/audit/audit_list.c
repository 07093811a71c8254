/*
 * audit_list.c - reading the audit log's entries for listings (sertel
 * audit list, the API's audit listing and export, an application's
 * history): by sequence number, time, event, object and a literal piece of
 * the details, oldest first, streamed from one query (memory does not grow
 * with the log). Portable SQL (store.h): LIKE with an explicit escape
 * character, flags instead of typeless NULL tests.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

/* "%" + s with %, _ and \ escaped (ESCAPE '\') + "%" when both, else s + "%". */
static char *like_pattern(const char *s, int contains)
{
    size_t n = strlen(s), i, j = 0;
    char *p = malloc(2 * n + 3);

    if (p == NULL)
        return NULL;
    if (contains)
        p[j++] = '%';
    for (i = 0; i < n; i++) {
        if (s[i] == '%' || s[i] == '_' || s[i] == '\\')
            p[j++] = '\\';
        p[j++] = s[i];
    }
    p[j++] = '%';
    p[j] = '\0';
    return p;
}

static void copy_hash(store_stmt *q, int col, unsigned char out[AUDIT_HASH_LEN])
{
    size_t len = 0;
    const void *b = store_col_blob(q, col, &len);

    memset(out, 0, AUDIT_HASH_LEN);
    if (b != NULL && len == AUDIT_HASH_LEN)
        memcpy(out, b, AUDIT_HASH_LEN);
}

int audit_list(store *st, const audit_filter *f, audit_entry_fn fn, void *arg, int64_t *count,
               sertel_err *err)
{
    static const audit_filter all = {0, 0, 0, NULL, NULL, NULL};
    char *ev = NULL, *det = NULL;
    store_stmt *q = NULL;
    int64_t n = 0;
    int rc;

    if (count != NULL)
        *count = 0;
    if (f == NULL)
        f = &all;
    if ((f->event_prefix != NULL && (ev = like_pattern(f->event_prefix, 0)) == NULL) ||
        (f->details_has != NULL && (det = like_pattern(f->details_has, 1)) == NULL)) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = store_queryf(st, &q, err,
                      "SELECT seq, ts, actor, event, object, details, prev_hash, hash "
                      "FROM audit_log WHERE seq > ? AND ts >= ? "
                      "AND (? = 0 OR event LIKE ? ESCAPE '\\') "
                      "AND (? = 0 OR object = ?) "
                      "AND (? = 0 OR details LIKE ? ESCAPE '\\') "
                      "ORDER BY seq LIMIT ?",
                      "iiitititi", f->after, f->since, (int64_t)(ev != NULL), ev ? ev : "",
                      (int64_t)(f->object != NULL), f->object ? f->object : "",
                      (int64_t)(det != NULL), det ? det : "",
                      f->limit > 0 ? f->limit : (int64_t)INT64_MAX);
    while (rc == SERTEL_OK && (rc = store_step(q, err)) == STORE_ROW) {
        audit_entry e;

        memset(&e, 0, sizeof(e));
        e.seq = store_col_int64(q, 0);
        e.ts = store_col_int64(q, 1);
        e.actor = store_col_text(q, 2);
        e.event = store_col_text(q, 3);
        e.object = store_col_text(q, 4);
        e.details = store_col_text(q, 5);
        if (e.actor == NULL)
            e.actor = "";
        if (e.event == NULL)
            e.event = "";
        if (e.object == NULL)
            e.object = "";
        if (e.details == NULL)
            e.details = "{}";
        copy_hash(q, 6, e.prev_hash);
        copy_hash(q, 7, e.hash);
        n++;
        rc = fn(arg, &e);
    }
    if (rc == STORE_DONE)
        rc = SERTEL_OK;
out:
    store_finalize(q);
    free(ev);
    free(det);
    if (count != NULL)
        *count = n;
    return rc;
}
