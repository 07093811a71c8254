/*
 * store_sqlite_int.h - internals shared by the files of the SQLite back end
 * (store_sqlite.c: the store operations; store_sqlite_check.c: the damage
 * check and the damage flag; store_sqlite_snapshot.c: online snapshots).
 * Nothing outside lib/store includes this.
 */
#ifndef SERTEL_STORE_SQLITE_INT_H
#define SERTEL_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include <stdint.h>

#include "store/store_int.h"

typedef struct sq_store {
    struct store base;
    sqlite3 *db;
    char *path;         /* the database file */
    int64_t checked_at; /* when the damage check last passed on this handle, 0: never */
} sq_store;

/* Suffix of the damage flag beside the database ("sertel.db-damaged"). */
#define SQ_DAMAGE_SUFFIX "-damaged"

/*
 * The damage check of store_check (store.h) on s, which must hold the write
 * lock (BEGIN IMMEDIATE) so that no other writer appends to or restarts the
 * WAL while pages are read. Finds are recorded with sq_mark_damaged and
 * returned as SERTEL_ERR_STORE with the restore instructions.
 */
int sq_check_locked(sq_store *s, int flags, store_check_stats *stats, sertel_err *err) SERTEL_WUR;

/*
 * Record that the database is damaged: create <path>-damaged (0600) with
 * what was found and when, unless it exists (the first finding is kept).
 * Best effort: a read-only directory leaves no flag, the error stands.
 */
void sq_mark_damaged(sq_store *s, const char *what);

/*
 * SERTEL_OK when no damage flag exists beside the database; otherwise
 * SERTEL_ERR_STORE with the recorded finding and the restore instructions.
 */
int sq_damage_flag_check(sq_store *s, sertel_err *err) SERTEL_WUR;

/* Error for a damaged database: what was found, that writing is refused, how to restore. */
int sq_damaged_error(sq_store *s, sertel_err *err, const char *what) SERTEL_WUR;

#endif
