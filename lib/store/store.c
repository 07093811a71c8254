/*
 * store.c - back-end independent part of the storage interface: dispatch,
 * transactions bookkeeping, schema migrations and the meta table.
 */
#include "store/store.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/fault.h"

int store_open(const char *uri, int flags, store **out, sertel_err *err)
{
    *out = NULL;
    if (strncmp(uri, "sqlite:", 7) == 0)
        return store_sqlite_open(uri + 7, flags, out, err);
    if (strncmp(uri, "postgresql:", 11) == 0 || strncmp(uri, "postgres:", 9) == 0)
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "the PostgreSQL store is not available in this build: use the "
                              "embedded SQLite store (a file path)");
    return store_sqlite_open(uri, flags, out, err);
}

void store_close(store *st)
{
    if (st == NULL)
        return;
    if (st->in_txn)
        store_rollback(st);
    st->ops->close(st);
}

int store_check(store *st, int flags, store_check_stats *stats, sertel_err *err)
{
    if (stats != NULL)
        memset(stats, 0, sizeof(*stats));
    if (st->in_txn)
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "the damage check cannot run inside a transaction");
    if (st->readonly)
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "the damage check needs the store opened for writing");
    return st->ops->check(st, flags, stats, err);
}

int store_snapshot(store *st, const char *path, sertel_err *err)
{
    if (st->in_txn)
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "a snapshot cannot be taken inside a "
                              "transaction");
    return st->ops->snapshot(st, path, err);
}

const char *store_backend(const store *st)
{
    return st->ops->name;
}

int store_exec(store *st, const char *sql, sertel_err *err)
{
    return st->ops->exec(st, sql, err);
}

int store_prepare(store *st, const char *sql, store_stmt **out, sertel_err *err)
{
    *out = NULL;
    if (fault_hit(FAULT_STORE))
        return sertel_err_set(err, SERTEL_ERR_STORE, "injected store failure (as a full disk)");
    return st->ops->prepare(st, sql, out, err);
}

int store_bind_text(store_stmt *s, int idx, const char *v, sertel_err *err)
{
    if (v == NULL)
        return s->ops->bind_null(s, idx, err);
    return s->ops->bind_text(s, idx, v, err);
}

int store_bind_int64(store_stmt *s, int idx, int64_t v, sertel_err *err)
{
    return s->ops->bind_int64(s, idx, v, err);
}

int store_bind_blob(store_stmt *s, int idx, const void *v, size_t len, sertel_err *err)
{
    if (v == NULL)
        return s->ops->bind_null(s, idx, err);
    return s->ops->bind_blob(s, idx, v, len, err);
}

int store_bind_null(store_stmt *s, int idx, sertel_err *err)
{
    return s->ops->bind_null(s, idx, err);
}

int store_step(store_stmt *s, sertel_err *err)
{
    if (fault_hit(FAULT_STORE))
        return sertel_err_set(err, SERTEL_ERR_STORE, "injected store failure (as a full disk)");
    return s->ops->step(s, err);
}

int store_run(store_stmt *s, sertel_err *err)
{
    int rc = s->ops->step(s, err);
    return rc < 0 ? rc : SERTEL_OK;
}

int store_col_is_null(store_stmt *s, int col)
{
    return s->ops->col_is_null(s, col);
}

int64_t store_col_int64(store_stmt *s, int col)
{
    return s->ops->col_int64(s, col);
}

const char *store_col_text(store_stmt *s, int col)
{
    return s->ops->col_text(s, col);
}

const void *store_col_blob(store_stmt *s, int col, size_t *len)
{
    return s->ops->col_blob(s, col, len);
}

void store_reset(store_stmt *s)
{
    s->ops->reset(s);
}

void store_finalize(store_stmt *s)
{
    if (s != NULL)
        s->ops->finalize(s);
}

int64_t store_changes(store *st)
{
    return st->ops->changes(st);
}

int store_begin(store *st, sertel_err *err)
{
    int rc;

    if (st->in_txn)
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "a transaction is already open (nested transactions are not "
                              "supported)");
    if (st->readonly)
        return sertel_err_set(err, SERTEL_ERR_STATE, "the store was opened read-only");
    if (fault_hit(FAULT_STORE))
        return sertel_err_set(err, SERTEL_ERR_BUSY,
                              "injected store failure (as a database busy past its timeout)");
    rc = st->ops->begin(st, err);
    if (rc == SERTEL_OK)
        st->in_txn = 1;
    return rc;
}

int store_commit(store *st, sertel_err *err)
{
    int rc;

    if (!st->in_txn)
        return sertel_err_set(err, SERTEL_ERR_STATE, "commit without an open transaction");
    if (fault_hit(FAULT_STORE)) {
        st->ops->rollback(st);
        st->in_txn = 0;
        return sertel_err_set(err, SERTEL_ERR_STORE,
                              "injected store failure at commit (as a full disk)");
    }
    rc = st->ops->commit(st, err);
    if (rc != SERTEL_OK) {
        st->ops->rollback(st);
    }
    st->in_txn = 0;
    return rc;
}

void store_rollback(store *st)
{
    if (!st->in_txn)
        return;
    st->ops->rollback(st);
    st->in_txn = 0;
}

int store_in_transaction(const store *st)
{
    return st->in_txn;
}

int store_schema_latest(void)
{
    return store_migrations[store_migrations_count - 1].version;
}

int store_schema_version(store *st, int *version, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    *version = 0;
    rc = st->ops->has_table(st, "schema_version", err);
    if (rc <= 0)
        return rc;
    rc = store_prepare(st, "SELECT max(version) FROM schema_version", &s, err);
    if (rc != SERTEL_OK)
        goto out;
    rc = store_step(s, err);
    if (rc < 0)
        goto out;
    *version = rc == STORE_ROW && !store_col_is_null(s, 0) ? (int)store_col_int64(s, 0) : 0;
    rc = SERTEL_OK;
out:
    store_finalize(s);
    return rc;
}

int store_migrate(store *st, sertel_err *err)
{
    int have = 0, rc, i;
    store_stmt *s = NULL;

    rc = store_schema_version(st, &have, err);
    if (rc != SERTEL_OK)
        return rc;
    if (have > store_schema_latest())
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "the database schema (version %d) is newer than this sertel "
                              "(version %d): upgrade sertel",
                              have, store_schema_latest());
    for (i = 0; i < store_migrations_count; i++) {
        const struct store_migration *m = &store_migrations[i];
        if (m->version <= have)
            continue;
        rc = store_begin(st, err);
        if (rc != SERTEL_OK)
            return rc;
        rc = store_exec(st, m->sql, err);
        if (rc == SERTEL_OK)
            rc = store_prepare(
                st, "INSERT INTO schema_version (version, description) VALUES (?, ?)", &s, err);
        if (rc == SERTEL_OK)
            rc = store_bind_int64(s, 1, m->version, err);
        if (rc == SERTEL_OK)
            rc = store_bind_text(s, 2, m->description, err);
        if (rc == SERTEL_OK)
            rc = store_run(s, err);
        store_finalize(s);
        s = NULL;
        if (rc == SERTEL_OK)
            rc = store_commit(st, err);
        else
            store_rollback(st);
        if (rc != SERTEL_OK) {
            sertel_err_prefix(err, "applying schema migration %d (%s)", m->version, m->description);
            return rc;
        }
    }
    return SERTEL_OK;
}

int store_meta_get(store *st, const char *key, char **out, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    *out = NULL;
    rc = store_prepare(st, "SELECT value FROM meta WHERE key = ?", &s, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 1, key, err);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            *out = strdup(store_col_text(s, 0));
            rc = *out ? SERTEL_OK : sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        } else if (rc == STORE_DONE) {
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "setting '%s' is not in the database",
                                key);
        }
    }
    store_finalize(s);
    return rc;
}

int store_meta_set(store *st, const char *key, const char *value, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    rc = store_prepare(st, "UPDATE meta SET value = ? WHERE key = ?", &s, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 1, value, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 2, key, err);
    if (rc == SERTEL_OK)
        rc = store_run(s, err);
    store_finalize(s);
    s = NULL;
    if (rc == SERTEL_OK && store_changes(st) == 0) {
        rc = store_prepare(st, "INSERT INTO meta (key, value) VALUES (?, ?)", &s, err);
        if (rc == SERTEL_OK)
            rc = store_bind_text(s, 1, key, err);
        if (rc == SERTEL_OK)
            rc = store_bind_text(s, 2, value, err);
        if (rc == SERTEL_OK)
            rc = store_run(s, err);
        store_finalize(s);
    }
    return rc;
}

static int bind_va(store_stmt *s, const char *types, va_list ap, sertel_err *err)
{
    int i, rc = SERTEL_OK;

    for (i = 0; types[i] != '\0' && rc == SERTEL_OK; i++) {
        switch (types[i]) {
        case 't':
            rc = store_bind_text(s, i + 1, va_arg(ap, const char *), err);
            break;
        case 'i':
            rc = store_bind_int64(s, i + 1, va_arg(ap, int64_t), err);
            break;
        case 'b': {
            const void *p = va_arg(ap, const void *);
            size_t len = va_arg(ap, size_t);
            rc = store_bind_blob(s, i + 1, p, len, err);
            break;
        }
        case 'n':
            rc = store_bind_null(s, i + 1, err);
            break;
        default:
            rc = sertel_err_set(err, SERTEL_ERR_INTERNAL, "bad parameter type '%c'", types[i]);
        }
    }
    return rc;
}

int store_queryf(store *st, store_stmt **out, sertel_err *err, const char *sql, const char *types,
                 ...)
{
    store_stmt *s = NULL;
    va_list ap;
    int rc;

    *out = NULL;
    rc = store_prepare(st, sql, &s, err);
    if (rc != SERTEL_OK)
        return rc;
    va_start(ap, types);
    rc = bind_va(s, types, ap, err);
    va_end(ap);
    if (rc != SERTEL_OK) {
        store_finalize(s);
        return rc;
    }
    *out = s;
    return SERTEL_OK;
}

int store_execf(store *st, sertel_err *err, const char *sql, const char *types, ...)
{
    store_stmt *s = NULL;
    va_list ap;
    int rc;

    rc = store_prepare(st, sql, &s, err);
    if (rc != SERTEL_OK)
        return rc;
    va_start(ap, types);
    rc = bind_va(s, types, ap, err);
    va_end(ap);
    if (rc == SERTEL_OK)
        rc = store_run(s, err);
    store_finalize(s);
    return rc;
}
