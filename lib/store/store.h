/*
 * store.h - the storage interface of sertel.
 *
 * One interface, several back ends: SQLite is the embedded default
 * (<home>/sertel.db); a PostgreSQL back end will implement the same
 * operations later, so callers write only portable SQL:
 *   - positional parameters written as "?" (a PostgreSQL back end rewrites
 *     them to $1, $2, ...);
 *   - types INTEGER (64-bit), TEXT, BLOB (bytea), no SQLite-only functions,
 *     no AUTOINCREMENT, no "INSERT OR ...";
 *   - timestamps as INTEGER seconds since the Unix epoch (UTC).
 *
 * Writes happen inside explicit transactions (store_begin/store_commit).
 * A commit is durable when it returns: the SQLite back end runs in WAL mode
 * with synchronous=FULL, so an issued certificate's row survives a power
 * cut once store_commit has returned SERTEL_OK.
 *
 * Schema versions are applied by store_migrate() from the list in
 * migrations.c; each migration runs in its own transaction and bumps
 * schema_version.
 *
 * Ownership: a store owns its statements' back-end resources; finalize
 * every statement before store_close. Text and blob pointers returned by
 * store_col_* are borrowed and valid until the next step/reset/finalize.
 *
 * Thread safety: one store handle per thread. Several processes may open
 * the same database; writers serialise on the database lock (busy timeout
 * from store_open's options).
 */
#ifndef SERTEL_STORE_H
#define SERTEL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct store store;
typedef struct store_stmt store_stmt;

/* Result of store_step besides an error code. */
#define STORE_DONE 0
#define STORE_ROW 1

/* Flags for store_open. */
#define STORE_OPEN_CREATE 0x1   /* create the database if missing */
#define STORE_OPEN_READONLY 0x2 /* open read-only (audit verify, listings) */

/*
 * Open the store named by uri: a file path or "sqlite:PATH" for SQLite.
 * Without STORE_OPEN_CREATE a missing database is SERTEL_ERR_NOTFOUND.
 * Does not migrate: call store_migrate() after opening for writing.
 */
int store_open(const char *uri, int flags, store **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 3);

/* Close the store. NULL-safe. Rolls back an open transaction. */
void store_close(store *st);

/* Bring the schema up to the newest version this build knows. */
int store_migrate(store *st, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/*
 * The schema version in the database. A database newer than this build
 * (*version > store_schema_latest()) must not be written to.
 */
int store_schema_version(store *st, int *version, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);
int store_schema_latest(void);

/* Name of the back end ("sqlite"). */
const char *store_backend(const store *st) SERTEL_NONNULL(1);

/*
 * Transactions. store_begin takes the write lock at once (SQLite BEGIN
 * IMMEDIATE) so a transaction never fails half-way on lock upgrade.
 * Nesting is not supported: store_begin inside a transaction is
 * SERTEL_ERR_STATE. store_rollback is safe to call when no transaction is
 * open.
 */
int store_begin(store *st, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);
int store_commit(store *st, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);
void store_rollback(store *st) SERTEL_NONNULL(1);
int store_in_transaction(const store *st) SERTEL_NONNULL(1);

/* Run SQL without parameters or results (DDL, migrations). */
int store_exec(store *st, const char *sql, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/* Prepare one statement. Parameters are numbered from 1. */
int store_prepare(store *st, const char *sql, store_stmt **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/* Bind parameters (1-based). Text and blobs are copied. */
int store_bind_text(store_stmt *s, int idx, const char *v, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1);
int store_bind_int64(store_stmt *s, int idx, int64_t v, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1);
int store_bind_blob(store_stmt *s, int idx, const void *v, size_t len, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1);
int store_bind_null(store_stmt *s, int idx, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/*
 * Execute or advance: STORE_ROW when a row is available, STORE_DONE when
 * finished, or a negative code. A unique-constraint violation is
 * SERTEL_ERR_EXISTS; a lock timeout is SERTEL_ERR_BUSY.
 */
int store_step(store_stmt *s, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/*
 * Execute a statement that returns no rows needed by the caller (INSERT,
 * UPDATE, DELETE): SERTEL_OK or a negative code as store_step.
 */
int store_run(store_stmt *s, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/*
 * Prepare sql and bind its parameters from a type string, one letter per
 * parameter: 't' const char * (NULL binds NULL), 'i' int64_t, 'b' a blob
 * as (const void *, size_t), 'n' NULL (no argument). Returns the bound
 * statement in *out for stepping.
 */
int store_queryf(store *st, store_stmt **out, sertel_err *err, const char *sql, const char *types,
                 ...) SERTEL_WUR SERTEL_NONNULL(1, 2, 4, 5);

/* store_queryf + store_run + finalize, for statements without results. */
int store_execf(store *st, sertel_err *err, const char *sql, const char *types, ...) SERTEL_WUR
    SERTEL_NONNULL(1, 3, 4);

/* Column accessors for the current row (0-based, as SQL result columns). */
int store_col_is_null(store_stmt *s, int col) SERTEL_NONNULL(1);
int64_t store_col_int64(store_stmt *s, int col) SERTEL_NONNULL(1);
const char *store_col_text(store_stmt *s, int col) SERTEL_NONNULL(1);
const void *store_col_blob(store_stmt *s, int col, size_t *len) SERTEL_NONNULL(1, 3);

/* Reset for re-execution with new bindings; bindings are cleared. */
void store_reset(store_stmt *s) SERTEL_NONNULL(1);

/* Release a statement. NULL-safe. */
void store_finalize(store_stmt *s);

/* Rows changed by the last INSERT/UPDATE/DELETE on this handle. */
int64_t store_changes(store *st) SERTEL_NONNULL(1);

/*
 * Small key/value table for settings that belong with the data (CRL number,
 * CA identifiers). Get returns SERTEL_ERR_NOTFOUND for a missing key; *out
 * is malloc'ed, caller frees.
 */
int store_meta_get(store *st, const char *key, char **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);
int store_meta_set(store *st, const char *key, const char *value, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

#endif
