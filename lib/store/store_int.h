/*
 * store_int.h - what a storage back end implements. Callers never include
 * this; they use store.h. A back end fills a store_ops table and embeds
 * struct store / struct store_stmt at the start of its own structures.
 */
#ifndef SERTEL_STORE_INT_H
#define SERTEL_STORE_INT_H

#include "store/store.h"

struct store_ops {
    const char *name;
    void (*close)(store *st);
    int (*exec)(store *st, const char *sql, sertel_err *err);
    int (*prepare)(store *st, const char *sql, store_stmt **out, sertel_err *err);
    int (*bind_text)(store_stmt *s, int idx, const char *v, sertel_err *err);
    int (*bind_int64)(store_stmt *s, int idx, int64_t v, sertel_err *err);
    int (*bind_blob)(store_stmt *s, int idx, const void *v, size_t len, sertel_err *err);
    int (*bind_null)(store_stmt *s, int idx, sertel_err *err);
    int (*step)(store_stmt *s, sertel_err *err);
    int (*col_is_null)(store_stmt *s, int col);
    int64_t (*col_int64)(store_stmt *s, int col);
    const char *(*col_text)(store_stmt *s, int col);
    const void *(*col_blob)(store_stmt *s, int col, size_t *len);
    void (*reset)(store_stmt *s);
    void (*finalize)(store_stmt *s);
    int64_t (*changes)(store *st);
    /* 1 when the table exists, 0 when not, negative on error. */
    int (*has_table)(store *st, const char *name, sertel_err *err);
    /* Begin a write transaction (taking the write lock at once). */
    int (*begin)(store *st, sertel_err *err);
    int (*commit)(store *st, sertel_err *err);
    void (*rollback)(store *st);
    /* store_check: the back end's damage check (outside a transaction). */
    int (*check)(store *st, int flags, store_check_stats *stats, sertel_err *err);
    /* store_snapshot: a consistent copy of the database in a new file. */
    int (*snapshot)(store *st, const char *path, sertel_err *err);
};

struct store {
    const struct store_ops *ops;
    int in_txn;
    int readonly;
};

struct store_stmt {
    const struct store_ops *ops;
    store *st;
};

/* One schema migration: version n is applied on top of version n-1. */
struct store_migration {
    int version;
    const char *description;
    const char *sql; /* ;-separated portable DDL */
};

extern const struct store_migration store_migrations[];
extern const int store_migrations_count;

int store_sqlite_open(const char *path, int flags, store **out, sertel_err *err) SERTEL_WUR;

#endif
