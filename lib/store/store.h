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
 *
 * Damage. A damaged database is noticed before sertel writes into it, and
 * then no process writes into it any more:
 *   - store_check (cheap; run by store_begin before the first write
 *     transaction of each handle and again when the last check is more than
 *     STORE_CHECK_INTERVAL seconds old) reads, for SQLite, the file header
 *     (signature, page size, format bytes, text encoding, page and
 *     free-page counts), the free-page list's trunk pages, the schema, and
 *     the root and every interior page of every table and index: page
 *     types, cell pointers and cells within their page, child page numbers
 *     within the database and never referenced twice (across all b-trees
 *     and the free list), rowids in order, all leaves at one depth. Tables
 *     whose pages (indexes included) fit a budget of 1024 pages are also
 *     read leaf by leaf with PRAGMA quick_check(table): meta, authorities,
 *     crls and the other small tables are fully checked. Pages come from
 *     the WAL when their newest committed version is there. The cost
 *     follows the interior pages, about 0.3% of a large database: a few
 *     milliseconds for 1,000,000 certificates (docs/benchmarks.md), where
 *     a full PRAGMA quick_check reads every page and takes seconds.
 *   - SQLITE_CORRUPT from any statement, on any handle (read-only too),
 *     marks the database damaged as well.
 *   A finding is recorded in a flag file beside the database
 *   ("sertel.db-damaged": what, when, which process); while it exists
 *   store_begin refuses every write transaction, in every process, with
 *   SERTEL_ERR_STORE and a message naming the restore step ('sertel
 *   restore', or 'sqlite3 .recover' as a last resort). Reading stays
 *   possible (to salvage). Remove the flag only after a restore or repair.
 * Not caught by the cheap check: damage inside the leaf pages of large
 * tables (certificates, audit_log, ... once past the budget) and inside
 * overflow pages; it is noticed when a statement reads the page (SQLite
 * reports SQLITE_CORRUPT, which marks the database) or by store_check
 * with STORE_CHECK_FULL. Nor are changed bytes that leave a page
 * well-formed (a flipped bit inside a certificate's DER): SQLite keeps no
 * checksums of page content; the audit chain's hashes cover the audit log
 * and certificates carry their SHA-256 in their row.
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

/* What store_check looked at (for reports and benchmarks). */
typedef struct store_check_stats {
    int64_t pages;       /* size of the database in pages */
    int64_t pages_read;  /* pages read by the check */
    int64_t btrees;      /* tables and indexes walked */
    int64_t tables_full; /* tables read leaf by leaf (with their indexes) */
} store_check_stats;

/* Flags for store_check. */
#define STORE_CHECK_FULL 0x1 /* also read every page (SQLite: PRAGMA quick_check) */

/* store_begin re-runs the damage check when the last one is older than this. */
#define STORE_CHECK_INTERVAL 600

/*
 * Check the store for damage now (see "Damage" above); with
 * STORE_CHECK_FULL also every page, which costs a read of the whole
 * database. Takes the write lock for the duration (waiting as store_begin
 * does). SERTEL_OK when nothing was found; SERTEL_ERR_STORE, with the
 * finding and the restore step in err, when the store is damaged or was
 * marked damaged before (the mark is made when damage is found);
 * SERTEL_ERR_STATE inside a transaction or on a read-only handle;
 * SERTEL_ERR_BUSY on a lock timeout. stats (may be NULL) is filled either
 * way.
 */
int store_check(store *st, int flags, store_check_stats *stats, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1);

/*
 * Write a consistent snapshot of the whole database to a new file at path
 * (created 0600; an existing file is refused with SERTEL_ERR_EXISTS). For
 * SQLite this is the online backup API in one step: other processes keep
 * reading and writing meanwhile, the copy is the database as of one
 * commit. On failure nothing is left at path.
 */
int store_snapshot(store *st, const char *path, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/* Name of the back end ("sqlite"). */
const char *store_backend(const store *st) SERTEL_NONNULL(1);

/*
 * Transactions. store_begin takes the write lock at once (SQLite BEGIN
 * IMMEDIATE) so a transaction never fails half-way on lock upgrade. It
 * refuses to begin (SERTEL_ERR_STORE) when the store is marked damaged or
 * when the damage check it runs (see "Damage" above) finds damage.
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
