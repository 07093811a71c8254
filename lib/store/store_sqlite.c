/*
 * store_sqlite.c - the embedded SQLite back end of the store interface.
 *
 * Settings: WAL journal, synchronous=FULL (a commit is on disk when it
 * returns), foreign keys on, busy timeout 10 s, secure_delete on (freed
 * pages are zeroed, so deleted key material and tokens do not linger in the
 * file), trusted_schema off. The database file is created 0600.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store_sqlite_int.h"

#define BUSY_TIMEOUT_MS 10000

typedef struct sq_stmt {
    struct store_stmt base;
    sqlite3_stmt *st;
} sq_stmt;

static const struct store_ops sq_ops;

static int sq_error(sq_store *s, int sqrc, sertel_err *err, const char *what)
{
    sqlite3 *db = s ? s->db : NULL;
    int prim = sqrc & 0xff;
    int code = SERTEL_ERR_STORE;

    if (prim == SQLITE_CONSTRAINT &&
        (sqrc == SQLITE_CONSTRAINT_UNIQUE || sqrc == SQLITE_CONSTRAINT_PRIMARYKEY))
        code = SERTEL_ERR_EXISTS;
    else if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
        code = SERTEL_ERR_BUSY;
    else if (prim == SQLITE_NOMEM)
        code = SERTEL_ERR_NOMEM;
    else if (prim == SQLITE_READONLY || prim == SQLITE_IOERR || prim == SQLITE_FULL ||
             prim == SQLITE_CANTOPEN)
        code = SERTEL_ERR_IO;
    if (prim == SQLITE_READONLY)
        return sertel_err_set(err, code,
                              "%s: the database is read-only (%s): check that the home "
                              "directory and sertel.db are writable",
                              what, sqlite3_errmsg(db));
    if (prim == SQLITE_CANTOPEN)
        return sertel_err_set(err, code,
                              "%s: cannot open the database file or its journal (%s): check that "
                              "the home directory is writable and on a writable (not read-only) "
                              "disk",
                              what, sqlite3_errmsg(db));
    if (prim == SQLITE_FULL)
        return sertel_err_set(err, code, "%s: the disk is full: free space and retry", what);
    if (prim == SQLITE_CORRUPT && s != NULL && s->path != NULL) {
        /* Damage seen by any statement marks the database for every process. */
        char found[600];
        snprintf(found, sizeof(found), "%s: %s", what, sqlite3_errmsg(db));
        sq_mark_damaged(s, found);
        return sq_damaged_error(s, err, found);
    }
    if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB)
        return sertel_err_set(err, SERTEL_ERR_STORE,
                              "%s: the database file is corrupt or not a sertel database (%s): "
                              "restore the home from a backup with 'sertel restore --from BACKUP "
                              "--home NEWDIR' (docs/operations.md)",
                              what, sqlite3_errmsg(db));
    return sertel_err_set(err, code, "%s: %s", what,
                          db ? sqlite3_errmsg(db) : sqlite3_errstr(sqrc));
}

static int sq_exec(store *st, const char *sql, sertel_err *err)
{
    sq_store *s = (sq_store *)st;
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

    sqlite3_free(msg);
    if (rc != SQLITE_OK)
        return sq_error(s, sqlite3_extended_errcode(s->db), err, "database statement failed");
    return SERTEL_OK;
}

static int sq_prepare(store *st, const char *sql, store_stmt **out, sertel_err *err)
{
    sq_store *s = (sq_store *)st;
    sq_stmt *q;
    int rc;

    q = calloc(1, sizeof(*q));
    if (q == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    rc = sqlite3_prepare_v2(s->db, sql, -1, &q->st, NULL);
    if (rc != SQLITE_OK) {
        free(q);
        return sq_error(s, sqlite3_extended_errcode(s->db), err, "preparing a query");
    }
    q->base.ops = &sq_ops;
    q->base.st = st;
    *out = &q->base;
    return SERTEL_OK;
}

static int bind_rc(store_stmt *s, int rc, sertel_err *err)
{
    if (rc == SQLITE_OK)
        return SERTEL_OK;
    return sq_error((sq_store *)s->st, rc, err, "binding a query parameter");
}

static int sq_bind_text(store_stmt *s, int idx, const char *v, sertel_err *err)
{
    return bind_rc(s, sqlite3_bind_text(((sq_stmt *)s)->st, idx, v, -1, SQLITE_TRANSIENT), err);
}

static int sq_bind_int64(store_stmt *s, int idx, int64_t v, sertel_err *err)
{
    return bind_rc(s, sqlite3_bind_int64(((sq_stmt *)s)->st, idx, v), err);
}

static int sq_bind_blob(store_stmt *s, int idx, const void *v, size_t len, sertel_err *err)
{
    return bind_rc(s, sqlite3_bind_blob64(((sq_stmt *)s)->st, idx, v, len, SQLITE_TRANSIENT), err);
}

static int sq_bind_null(store_stmt *s, int idx, sertel_err *err)
{
    return bind_rc(s, sqlite3_bind_null(((sq_stmt *)s)->st, idx), err);
}

static int sq_step(store_stmt *s, sertel_err *err)
{
    sq_stmt *q = (sq_stmt *)s;
    int rc = sqlite3_step(q->st);

    if (rc == SQLITE_ROW)
        return STORE_ROW;
    if (rc == SQLITE_DONE)
        return STORE_DONE;
    rc = sqlite3_extended_errcode(((sq_store *)s->st)->db);
    sqlite3_reset(q->st);
    return sq_error((sq_store *)s->st, rc, err, "database query failed");
}

static int sq_col_is_null(store_stmt *s, int col)
{
    return sqlite3_column_type(((sq_stmt *)s)->st, col) == SQLITE_NULL;
}

static int64_t sq_col_int64(store_stmt *s, int col)
{
    return sqlite3_column_int64(((sq_stmt *)s)->st, col);
}

static const char *sq_col_text(store_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(((sq_stmt *)s)->st, col);
    return t ? (const char *)t : "";
}

static const void *sq_col_blob(store_stmt *s, int col, size_t *len)
{
    sqlite3_stmt *st = ((sq_stmt *)s)->st;
    const void *b = sqlite3_column_blob(st, col);

    *len = (size_t)sqlite3_column_bytes(st, col);
    return b;
}

static void sq_reset(store_stmt *s)
{
    sqlite3_reset(((sq_stmt *)s)->st);
    sqlite3_clear_bindings(((sq_stmt *)s)->st);
}

static void sq_finalize(store_stmt *s)
{
    sqlite3_finalize(((sq_stmt *)s)->st);
    free(s);
}

static int64_t sq_changes(store *st)
{
    return sqlite3_changes64(((sq_store *)st)->db);
}

static int sq_has_table(store *st, const char *name, sertel_err *err)
{
    sq_store *s = (sq_store *)st;
    sqlite3_stmt *q = NULL;
    int rc;

    rc = sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                            -1, &q, NULL);
    if (rc != SQLITE_OK)
        return sq_error(s, sqlite3_extended_errcode(s->db), err, "reading the schema");
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return sq_error(s, rc, err, "reading the schema");
}

static void sq_rollback(store *st);

/*
 * A write transaction: refused while the database is marked damaged; the
 * damage check runs under the write lock before the first write of this
 * handle and again every STORE_CHECK_INTERVAL seconds.
 */
static int sq_begin(store *st, sertel_err *err)
{
    sq_store *s = (sq_store *)st;
    int64_t now = (int64_t)time(NULL);
    int rc;

    if ((rc = sq_damage_flag_check(s, err)) != SERTEL_OK)
        return rc;
    if ((rc = sq_exec(st, "BEGIN IMMEDIATE", err)) != SERTEL_OK)
        return rc;
    if (s->checked_at == 0 || now < s->checked_at || now - s->checked_at >= STORE_CHECK_INTERVAL) {
        rc = sq_check_locked(s, 0, NULL, err);
        if (rc != SERTEL_OK) {
            sq_rollback(st);
            return rc;
        }
        s->checked_at = now;
    }
    return SERTEL_OK;
}

static int sq_check(store *st, int flags, store_check_stats *stats, sertel_err *err)
{
    sq_store *s = (sq_store *)st;
    int rc;

    if ((rc = sq_damage_flag_check(s, err)) != SERTEL_OK)
        return rc;
    if ((rc = sq_exec(st, "BEGIN IMMEDIATE", err)) != SERTEL_OK)
        return rc;
    rc = sq_check_locked(s, flags, stats, err);
    sq_rollback(st);
    if (rc == SERTEL_OK)
        s->checked_at = (int64_t)time(NULL);
    return rc;
}

/*
 * The online backup API (https://sqlite.org/backup.html) in a single step:
 * one read transaction on the source, so the copy is one commit's state
 * while other connections go on writing to the WAL.
 */
static int sq_snapshot(store *st, const char *path, sertel_err *err)
{
    sq_store *s = (sq_store *)st;
    sqlite3 *dst = NULL;
    sqlite3_backup *b = NULL;
    int fd, rc, tries;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return sertel_err_set(err, errno == EEXIST ? SERTEL_ERR_EXISTS : SERTEL_ERR_IO,
                              "cannot create the snapshot file %s: %s", path, strerror(errno));
    close(fd);
    rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(dst, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", NULL, NULL,
                          NULL);
    if (rc != SQLITE_OK) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot open the snapshot file %s: %s", path,
                            dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
        goto out;
    }
    b = sqlite3_backup_init(dst, "main", s->db, "main");
    if (b == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_STORE, "cannot start the snapshot: %s",
                            sqlite3_errmsg(dst));
        goto out;
    }
    for (tries = 0;; tries++) {
        rc = sqlite3_backup_step(b, -1);
        if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries >= 100)
            break;
        sqlite3_sleep(100);
    }
    if (rc == SQLITE_DONE) {
        rc = sqlite3_backup_finish(b);
        b = NULL;
        /* A self-contained file: rollback-journal format, so opening it needs no -wal/-shm. */
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        int src = sqlite3_extended_errcode(s->db);
        if (b != NULL)
            (void)sqlite3_backup_finish(b);
        b = NULL;
        if ((src & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_CORRUPT)
            rc = sq_error(s, SQLITE_CORRUPT, err, "taking a snapshot");
        else
            rc = sertel_err_set(err, rc == SQLITE_BUSY ? SERTEL_ERR_BUSY : SERTEL_ERR_STORE,
                                "taking a snapshot of the database: %s", sqlite3_errstr(rc));
        goto out;
    }
    rc = SERTEL_OK;
out:
    if (b != NULL)
        (void)sqlite3_backup_finish(b);
    if (dst != NULL && sqlite3_close(dst) != SQLITE_OK && rc == SERTEL_OK)
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot close the snapshot file %s", path);
    if (rc != SERTEL_OK)
        unlink(path);
    return rc;
}

static int sq_commit(store *st, sertel_err *err)
{
    return sq_exec(st, "COMMIT", err);
}

static void sq_rollback(store *st)
{
    sqlite3_exec(((sq_store *)st)->db, "ROLLBACK", NULL, NULL, NULL);
}

static void sq_close(store *st)
{
    sq_store *s = (sq_store *)st;

    sqlite3_close_v2(s->db);
    free(s->path);
    free(s);
}

static const struct store_ops sq_ops = {
    .name = "sqlite",
    .close = sq_close,
    .exec = sq_exec,
    .prepare = sq_prepare,
    .bind_text = sq_bind_text,
    .bind_int64 = sq_bind_int64,
    .bind_blob = sq_bind_blob,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .col_is_null = sq_col_is_null,
    .col_int64 = sq_col_int64,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
    .reset = sq_reset,
    .finalize = sq_finalize,
    .changes = sq_changes,
    .has_table = sq_has_table,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .check = sq_check,
    .snapshot = sq_snapshot,
};

/* "file:" URI of path with every byte outside [A-Za-z0-9/._~-] percent-encoded; malloc'ed. */
static char *sq_file_uri(const char *path, const char *query)
{
    static const char hexd[] = "0123456789ABCDEF";
    size_t n = strlen(path), i, o = 0;
    char *u = malloc(3 * n + strlen(query) + 16);

    if (u == NULL)
        return NULL;
    /* An absolute path gets an empty authority, so "//x" stays a path. */
    memcpy(u, path[0] == '/' ? "file://" : "file:", path[0] == '/' ? 7 : 5);
    o = path[0] == '/' ? 7 : 5;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '/' || c == '.' || c == '_' || c == '~' || c == '-') {
            u[o++] = (char)c;
        } else {
            u[o++] = '%';
            u[o++] = hexd[c >> 4];
            u[o++] = hexd[c & 15];
        }
    }
    u[o++] = '?';
    memcpy(u + o, query, strlen(query) + 1);
    return u;
}

/*
 * A read-only connection to a WAL database needs <db>-wal and <db>-shm to
 * exist or to be creatable. On a read-only disk or directory (a copy on
 * read-only media, a read-only bind mount) where they are absent, reading
 * fails. When the -wal file is absent or empty the main file holds every
 * committed transaction, so it is reopened as immutable: SQLite then
 * creates, locks and changes nothing. A -wal file with content holds
 * transactions the main file lacks; reading without it would show an older
 * database, so that case is refused with what to do.
 */
static int sq_readonly_probe(sq_store *s, const char *path, sertel_err *err)
{
    char wal[4096], *uri = NULL;
    struct stat stb;
    int rc, prim;

    rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return SERTEL_OK;
    rc = sqlite3_extended_errcode(s->db);
    prim = rc & 0xff;
    if (prim != SQLITE_CANTOPEN && prim != SQLITE_READONLY)
        return sq_error(s, rc, err, "reading the database");
    if ((size_t)snprintf(wal, sizeof(wal), "%s-wal", path) >= sizeof(wal))
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the database path is too long");
    if (stat(wal, &stb) == 0) {
        if (stb.st_size > 0)
            return sertel_err_set(err, SERTEL_ERR_IO,
                                  "%s holds transactions that are not yet in the database file, "
                                  "and SQLite cannot read them here without creating %s-shm (the "
                                  "directory or disk is read-only): copy %s-shm along with it, or "
                                  "work on a copy in a writable directory",
                                  wal, path, path);
    } else if (errno != ENOENT) {
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot inspect %s: %s", wal, strerror(errno));
    }
    uri = sq_file_uri(path, "mode=ro&immutable=1");
    if (uri == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    sqlite3_close_v2(s->db);
    s->db = NULL;
    rc = sqlite3_open_v2(uri, &s->db,
                         SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE | SQLITE_OPEN_READONLY |
                             SQLITE_OPEN_URI,
                         NULL);
    free(uri);
    if (rc != SQLITE_OK)
        return sq_error(s, rc, err, "opening the database read-only");
    sqlite3_extended_result_codes(s->db, 1);
    rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return sq_error(s, sqlite3_extended_errcode(s->db), err, "reading the database");
    return SERTEL_OK;
}

int store_sqlite_open(const char *path, int flags, store **out, sertel_err *err)
{
    sq_store *s = NULL;
    int oflags, rc, fd;
    struct stat stb;

    *out = NULL;
    if (!(flags & STORE_OPEN_CREATE) && stat(path, &stb) != 0)
        return sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                              "database %s does not exist: run 'sertel init' to create a home",
                              path);
    if ((flags & STORE_OPEN_CREATE) && stat(path, &stb) != 0) {
        /* Create the file ourselves so it is 0600 from the first byte. */
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            return sertel_err_set(err, SERTEL_ERR_IO, "cannot create database %s: %s", path,
                                  strerror(errno));
        close(fd);
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    if ((s->path = strdup(path)) == NULL) {
        free(s);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    s->base.ops = &sq_ops;
    s->base.readonly = (flags & STORE_OPEN_READONLY) != 0;
    oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE;
    oflags |= s->base.readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
    if (rc != SQLITE_OK) {
        sq_error(s, rc, err, "opening the database");
        sertel_err_prefix(err, "%s", path);
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    /* Before the first read: another process's writer or checkpoint is waited for, not an
     * error (a read-only probe ran without it and failed "database is locked"). */
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    /* Read-only: also on a read-only disk, without creating anything. */
    if (s->base.readonly && sq_readonly_probe(s, path, err) != SERTEL_OK)
        goto fail_ctx;
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS); /* the probe may have opened it again */
    /* A read-only connection cannot switch journal mode; the file already has WAL. */
    if (!s->base.readonly && sq_exec(&s->base, "PRAGMA journal_mode = WAL", err) != SERTEL_OK)
        goto fail_ctx;
    if (sq_exec(&s->base,
                "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
                "PRAGMA secure_delete = ON; PRAGMA trusted_schema = OFF",
                err) != SERTEL_OK)
        goto fail_ctx;
    /* Touch the schema now so "not a database" is reported at open. */
    rc = sq_has_table(&s->base, "meta", err);
    if (rc < 0)
        goto fail_ctx;
    *out = &s->base;
    return SERTEL_OK;
fail_ctx:
    sertel_err_prefix(err, "%s", path);
fail:
    rc = err ? err->code : SERTEL_ERR_STORE;
    sqlite3_close_v2(s->db);
    free(s->path);
    free(s);
    return rc;
}
