/*
 * store_sqlite_check.c - the cheap damage check of the SQLite back end and
 * the persistent damage flag (see "Damage" in store.h for what is caught).
 *
 * Follows the SQLite database file format (https://sqlite.org/fileformat2.html):
 * the 100-byte header (§1.3), the freelist (§1.5), b-tree pages (§1.6) and
 * the WAL (§4: frame headers, salts and the cumulative checksum).
 *
 * Pages are read raw, through SQLite's own file handles
 * (SQLITE_FCNTL_FILE_POINTER / JOURNAL_POINTER): opening sertel.db a second
 * time and closing it would drop the process's POSIX locks on it. The newest
 * committed version of a page is taken from the WAL when it has one there
 * (our own index of the WAL's committed frames), else from the database
 * file. The caller holds the write lock, so no other writer appends to the
 * WAL or restarts it meanwhile, and a concurrent checkpoint only copies
 * frames we would read from the WAL anyway.
 *
 * Cold (right after a reboot) the check's cost is the latency of its
 * scattered page reads, one after the other. So before the children of an
 * interior page are visited, the kernel is asked to read them all at once
 * (posix_fadvise WILLNEED: asynchronous reads the disk serves in parallel),
 * and the visit then finds them in the page cache. The page cache belongs
 * to the file, so the advice is given on SQLite's own descriptor of it,
 * found by device and inode among the process's descriptors - never a
 * descriptor of our own, whose close would drop SQLite's POSIX locks.
 *
 * The rules are ones SQLite's own integrity check also applies, so an intact
 * database never fails them: page types, cell-pointer and cell bounds, page
 * numbers within the database, no page referenced twice, rowids in order,
 * every leaf at the same depth, the freelist's count and bounds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store_sqlite_int.h"
#include "util/fs.h"

/* B-tree page types (file format §1.6). */
#define PG_INTERIOR_INDEX 2
#define PG_INTERIOR_TABLE 5
#define PG_LEAF_INDEX 10
#define PG_LEAF_TABLE 13

#define MAX_DEPTH 20                   /* SQLite's BTCURSOR_MAX_DEPTH */
#define WAL_MAX_FRAMES (1u << 24)      /* a 64 GiB WAL with 4 KiB pages: refuse beyond */
#define SMALL_TABLE_BUDGET_PAGES 1024u /* leaf pages checked in full at each check (4 MiB) */
#define WHAT_MAX 400

typedef struct walent {
    uint32_t pgno;
    uint32_t frame;
} walent;

typedef struct pgr {
    sqlite3_file *db;
    sqlite3_file *wal;
    uint32_t pgsz, usable, npages;
    int64_t dbsize; /* bytes in the database file */
    walent *wmap;   /* committed WAL frames, sorted by page, newest frame per page */
    size_t nw;
    uint8_t *seen; /* bitmap: pages referenced so far */
    unsigned char *buf[MAX_DEPTH + 2];
    int64_t reads;
    int pfd; /* SQLite's descriptor of the database file, for read-ahead advice; -1: none */
    char what[WHAT_MAX];
} pgr;

static uint32_t be16(const unsigned char *p)
{
    return ((uint32_t)p[0] << 8) | p[1];
}

static uint32_t be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint32_t le32(const unsigned char *p)
{
    return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}

/* A SQLite varint at p (at most 9 bytes, not past end): its length, 0 when cut off. */
static size_t varint(const unsigned char *p, const unsigned char *end, uint64_t *v)
{
    uint64_t x = 0;
    size_t i;

    for (i = 0; i < 9 && p + i < end; i++) {
        if (i == 8) {
            *v = (x << 8) | p[i];
            return 9;
        }
        x = (x << 7) | (p[i] & 0x7f);
        if (!(p[i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

/* Record the first finding; returns 1 so callers can `return found(...)`. */
static int found(pgr *r, const char *fmt, ...) SERTEL_PRINTF(2, 3);
static int found(pgr *r, const char *fmt, ...)
{
    va_list ap;

    if (r->what[0] == '\0') {
        va_start(ap, fmt);
        vsnprintf(r->what, sizeof(r->what), fmt, ap);
        va_end(ap);
    }
    return 1;
}

/* The WAL checksum (file format §4.1) over n bytes (n a multiple of 8). */
static void wal_cksum(int big, const unsigned char *a, size_t n, uint32_t *s0, uint32_t *s1)
{
    size_t i;

    for (i = 0; i + 8 <= n; i += 8) {
        uint32_t x0 = big ? be32(a + i) : le32(a + i);
        uint32_t x1 = big ? be32(a + i + 4) : le32(a + i + 4);
        *s0 += x0 + *s1;
        *s1 += x1 + *s0;
    }
}

static int walent_cmp(const void *a, const void *b)
{
    const walent *x = a, *y = b;

    if (x->pgno != y->pgno)
        return x->pgno < y->pgno ? -1 : 1;
    return x->frame < y->frame ? -1 : x->frame > y->frame;
}

/*
 * Index the WAL's committed frames: valid frames (salts of the header,
 * checksum chain intact) up to the last commit frame, as SQLite's recovery
 * reads it. *last_commit_size receives the database size in pages that the
 * last commit recorded (0 when the WAL holds no commit).
 */
static int wal_index(pgr *r, uint32_t *last_commit_size, sertel_err *err)
{
    sqlite3_int64 size = 0;
    unsigned char hdr[32], *frame = NULL;
    uint32_t magic, s0 = 0, s1 = 0, nframes, i, committed = 0;
    size_t fsz = (size_t)r->pgsz + 24;
    int big, rc = SERTEL_OK;

    *last_commit_size = 0;
    if (r->wal == NULL || r->wal->pMethods == NULL ||
        r->wal->pMethods->xFileSize(r->wal, &size) != SQLITE_OK || size < 32)
        return SERTEL_OK;
    if (r->wal->pMethods->xRead(r->wal, hdr, 32, 0) != SQLITE_OK)
        return SERTEL_OK;
    magic = be32(hdr);
    if ((magic & 0xfffffffe) != 0x377f0682 || be32(hdr + 4) != 3007000 || be32(hdr + 8) != r->pgsz)
        return SERTEL_OK; /* SQLite ignores such a WAL as well */
    big = (int)(magic & 1);
    wal_cksum(big, hdr, 24, &s0, &s1);
    if (s0 != be32(hdr + 24) || s1 != be32(hdr + 28))
        return SERTEL_OK;
    if ((uint64_t)(size - 32) / fsz > WAL_MAX_FRAMES)
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "the write-ahead log is too large to check (%lld bytes): let a "
                              "checkpoint shrink it (stop long-running readers) and retry",
                              (long long)size);
    nframes = (uint32_t)((uint64_t)(size - 32) / fsz);
    if (nframes == 0)
        return SERTEL_OK;
    r->wmap = calloc(nframes, sizeof(*r->wmap));
    frame = malloc(fsz);
    if (r->wmap == NULL || frame == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory reading the write-ahead log");
        goto out;
    }
    for (i = 0; i < nframes; i++) {
        if (r->wal->pMethods->xRead(r->wal, frame, (int)fsz,
                                    32 + (sqlite3_int64)i * (int64_t)fsz) != SQLITE_OK)
            break;
        if (be32(frame) == 0 || memcmp(frame + 8, hdr + 16, 8) != 0)
            break;
        wal_cksum(big, frame, 8, &s0, &s1);
        wal_cksum(big, frame + 24, r->pgsz, &s0, &s1);
        if (s0 != be32(frame + 16) || s1 != be32(frame + 20))
            break;
        r->wmap[i].pgno = be32(frame);
        r->wmap[i].frame = i;
        if (be32(frame + 4) != 0) {
            committed = i + 1;
            *last_commit_size = be32(frame + 4);
        }
    }
    r->nw = committed;
    qsort(r->wmap, r->nw, sizeof(*r->wmap), walent_cmp);
    /* Keep the newest frame of each page. */
    {
        size_t k = 0, j;
        for (j = 0; j < r->nw; j++) {
            if (k > 0 && r->wmap[k - 1].pgno == r->wmap[j].pgno)
                r->wmap[k - 1] = r->wmap[j];
            else
                r->wmap[k++] = r->wmap[j];
        }
        r->nw = k;
    }
out:
    free(frame);
    return rc;
}

/*
 * SQLite's descriptor of the database file at path (the same device and
 * inode), or -1. Only for advice: it is never read, written or closed here.
 */
static int find_db_fd(const char *path)
{
    struct stat want, st;
    DIR *d;
    struct dirent *e;
    int fd = -1, dfd;

    if (path == NULL || stat(path, &want) != 0 || (d = opendir("/proc/self/fd")) == NULL)
        return -1;
    dfd = dirfd(d);
    while (fd < 0 && (e = readdir(d)) != NULL) {
        char *end = NULL;
        long n;
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        errno = 0;
        n = strtol(e->d_name, &end, 10);
        if (errno != 0 || *end != '\0' || n < 0 || n > 1 << 24 || (int)n == dfd)
            continue;
        if (fstat((int)n, &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == want.st_dev &&
            st.st_ino == want.st_ino)
            fd = (int)n;
    }
    closedir(d);
    return fd;
}

/* Ask the kernel to start reading page pgno of the database file (not when the WAL has it). */
static void prefetch(pgr *r, uint32_t pgno)
{
    size_t lo = 0, hi = r->nw;

    if (r->pfd < 0 || pgno < 2 || pgno > r->npages)
        return;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->wmap[mid].pgno < pgno)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < r->nw && r->wmap[lo].pgno == pgno)
        return;
    (void)posix_fadvise(r->pfd, (off_t)(pgno - 1) * r->pgsz, (off_t)r->pgsz, POSIX_FADV_WILLNEED);
}

/* Read page pgno into buf: 0 when read, 1 when it could not be (finding recorded). */
static int read_page(pgr *r, uint32_t pgno, unsigned char *buf)
{
    size_t lo = 0, hi = r->nw;
    sqlite3_int64 off;

    r->reads++;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->wmap[mid].pgno < pgno)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < r->nw && r->wmap[lo].pgno == pgno) {
        off = 32 + (sqlite3_int64)r->wmap[lo].frame * ((sqlite3_int64)r->pgsz + 24) + 24;
        if (r->wal->pMethods->xRead(r->wal, buf, (int)r->pgsz, off) != SQLITE_OK)
            return found(r, "page %u cannot be read from the write-ahead log", pgno);
        return 0;
    }
    off = (sqlite3_int64)(pgno - 1) * r->pgsz;
    if (off + r->pgsz > r->dbsize)
        return found(r, "page %u is missing: the file ends at %lld bytes (it was cut short)", pgno,
                     (long long)r->dbsize);
    if (r->db->pMethods->xRead(r->db, buf, (int)r->pgsz, off) != SQLITE_OK)
        return found(r, "page %u cannot be read", pgno);
    return 0;
}

/* Mark pgno as referenced by what: 1 (finding) when out of range or seen before. */
static int mark(pgr *r, uint32_t pgno, const char *what, uint32_t from)
{
    if (pgno < 2 || pgno > r->npages)
        return found(r, "%s page %u refers to page %u, outside the database (2..%u)", what, from,
                     pgno, r->npages);
    if (r->seen[pgno / 8] & (1u << (pgno % 8)))
        return found(r, "page %u is referenced twice (again from %s page %u)", pgno, what, from);
    r->seen[pgno / 8] |= (uint8_t)(1u << (pgno % 8));
    return 0;
}

/*
 * The part of a cell's payload kept on an index page (§1.6): all of it when
 * it fits, otherwise a computed prefix followed by a 4-byte overflow page.
 */
static uint32_t local_payload(uint32_t usable, uint64_t p, int *overflow)
{
    uint32_t x = (usable - 12) * 64 / 255 - 23, m = (usable - 12) * 32 / 255 - 23, k;

    *overflow = p > x;
    if (!*overflow)
        return (uint32_t)p;
    k = m + (uint32_t)((p - m) % (usable - 4));
    return k <= x ? k : m;
}

typedef struct tree {
    const char *name;
    int table;         /* a rowid table (page types 5/13), else an index b-tree (2/10) */
    uint32_t depth;    /* levels of interior pages above the leaves */
    int64_t leaves;    /* leaf pages */
    int64_t interiors; /* interior pages read */
} tree;

/*
 * Check the interior page pgno at level (the root is level 0) of t: its
 * header, cell pointers and cells, its children's page numbers (marked as
 * referenced) and, for a table, that rowids ascend and stay within hi (the
 * parent's bound; has_hi 0 for the rightmost path). Children above the leaf
 * level are checked in turn; leaves are counted, not read.
 */
static int check_interior(pgr *r, tree *t, uint32_t pgno, uint32_t level, int has_hi, int64_t hi)
{
    unsigned char *b = r->buf[level];
    uint32_t h = pgno == 1 ? 100 : 0, ncell, content, ptrs, i, child, type;
    int64_t prev = 0;
    int has_prev = 0;

    if (read_page(r, pgno, b))
        return 1;
    t->interiors++;
    type = b[h];
    if (type != (uint32_t)(t->table ? PG_INTERIOR_TABLE : PG_INTERIOR_INDEX))
        return found(r, "page %u of %s should be an interior %s page but has type %u", pgno,
                     t->name, t->table ? "table" : "index", type);
    ncell = be16(b + h + 3);
    content = be16(b + h + 5);
    if (content == 0)
        content = 65536;
    ptrs = h + 12;
    if (ptrs + 2 * ncell > content || content > r->usable)
        return found(r, "page %u of %s: %u cells do not fit (content area at %u, page %u bytes)",
                     pgno, t->name, ncell, content, r->usable);
    if (level + 1 < t->depth) {
        /* The children are interior pages read next: ask for all of them at once. */
        for (i = 0; i < ncell; i++) {
            uint32_t off = be16(b + ptrs + 2 * i);
            if (off >= content && off + 4 <= r->usable)
                prefetch(r, be32(b + off));
        }
        prefetch(r, be32(b + h + 8));
    }
    for (i = 0; i <= ncell; i++) {
        uint32_t off;
        int64_t key = 0;
        int is_right = i == ncell;

        if (is_right) {
            child = be32(b + h + 8);
        } else {
            off = be16(b + ptrs + 2 * i);
            if (off < content || off + 4 > r->usable)
                return found(r, "page %u of %s: cell %u points outside the content area (%u)", pgno,
                             t->name, i, off);
            child = be32(b + off);
            if (t->table) {
                uint64_t k;
                if (varint(b + off + 4, b + r->usable, &k) == 0)
                    return found(r, "page %u of %s: cell %u is cut off", pgno, t->name, i);
                key = (int64_t)k;
                if ((has_prev && key <= prev) || (has_hi && key > hi))
                    return found(r, "page %u of %s: rowid %lld is out of order", pgno, t->name,
                                 (long long)key);
                prev = key;
                has_prev = 1;
            } else {
                uint64_t p;
                size_t vl = varint(b + off + 4, b + r->usable, &p);
                int ovfl;
                uint32_t local;
                if (vl == 0 || p > 0x7fffffff)
                    return found(r, "page %u of %s: cell %u has a bad payload size", pgno, t->name,
                                 i);
                local = local_payload(r->usable, p, &ovfl);
                if ((uint64_t)off + 4 + vl + local + (ovfl ? 4 : 0) > r->usable)
                    return found(r, "page %u of %s: cell %u runs past the end of the page", pgno,
                                 t->name, i);
                if (ovfl && mark(r, be32(b + off + 4 + vl + local), "overflow of", pgno))
                    return 1;
            }
        }
        if (mark(r, child, t->name, pgno))
            return 1;
        if (level + 1 < t->depth) {
            int ch = is_right ? has_hi : 1;
            int64_t chi = is_right ? hi : key;
            if (check_interior(r, t, child, level + 1, t->table ? ch : 0, chi))
                return 1;
            b = r->buf[level]; /* unchanged; the child used the next buffer */
        } else {
            t->leaves++;
        }
    }
    return 0;
}

/*
 * The number of interior levels of t down its left-most (right 0) or
 * right-most (right 1) path; sets t->table from the root's type.
 */
static int tree_depth(pgr *r, tree *t, uint32_t root, int right, uint32_t *depth)
{
    unsigned char *b = r->buf[MAX_DEPTH + 1];
    uint32_t pgno = root, type, h;

    *depth = 0;
    for (;;) {
        if (read_page(r, pgno, b))
            return 1;
        h = pgno == 1 ? 100 : 0;
        type = b[h];
        if (pgno == root) {
            if (type == PG_INTERIOR_TABLE || type == PG_LEAF_TABLE)
                t->table = 1;
            else if (type == PG_INTERIOR_INDEX || type == PG_LEAF_INDEX)
                t->table = 0;
            else
                return found(r, "the root page %u of %s has an invalid type %u", root, t->name,
                             type);
        }
        if (type == (uint32_t)(t->table ? PG_LEAF_TABLE : PG_LEAF_INDEX))
            return 0;
        if (type != (uint32_t)(t->table ? PG_INTERIOR_TABLE : PG_INTERIOR_INDEX))
            return found(r, "page %u of %s has type %u, not a %s page", pgno, t->name, type,
                         t->table ? "table" : "index");
        if (++*depth > MAX_DEPTH)
            return found(r, "%s is deeper than %d levels: its pages form a loop", t->name,
                         MAX_DEPTH);
        if (!right && be16(b + h + 3) > 0) { /* the first cell's child */
            uint32_t off = be16(b + h + 12);
            if (off < h + 12 || off + 4 > r->usable)
                return found(r, "page %u of %s: cell 0 points outside the page (%u)", pgno, t->name,
                             off);
            pgno = be32(b + off);
        } else {
            pgno = be32(b + h + 8);
        }
        if (pgno < 2 || pgno > r->npages)
            return found(r, "page %u of %s refers to page %u, outside the database (2..%u)", pgno,
                         t->name, pgno, r->npages);
    }
}

/*
 * Walk the b-tree rooted at root: its depth down the left-most and the
 * right-most paths (they must agree: a damaged page that now looks like a
 * leaf shortens one), then every interior page above the leaves.
 */
static int check_tree(pgr *r, tree *t, uint32_t root)
{
    uint32_t left, right;

    if (tree_depth(r, t, root, 0, &left) || tree_depth(r, t, root, 1, &right))
        return 1;
    if (left != right)
        return found(r,
                     "the leaves of %s are not all at one depth (%u and %u levels): a page "
                     "on its edge is damaged",
                     t->name, left, right);
    t->depth = left;
    if (t->depth == 0) {
        t->leaves = 1;
        return 0;
    }
    return check_interior(r, t, root, 0, 0, 0);
}

/* The header (§1.3) of page 1 as the newest commit has it. */
static int check_header(pgr *r, const unsigned char *p, uint32_t freelist_count)
{
    uint32_t pgsz = be16(p + 16) == 1 ? 65536 : be16(p + 16);

    if (memcmp(p, "SQLite format 3", 16) != 0)
        return found(r, "the file header does not start with the SQLite signature");
    if (pgsz != r->pgsz)
        return found(r, "the header's page size %u differs from the database's %u", pgsz, r->pgsz);
    if (p[18] < 1 || p[18] > 2 || p[19] < 1 || p[19] > 2)
        return found(r, "the header's file format versions (%u, %u) are invalid", p[18], p[19]);
    if (p[21] != 64 || p[22] != 32 || p[23] != 32)
        return found(r, "the header's payload fractions are invalid");
    /* A database without any table yet (one page) has 0 for both. */
    if (be32(p + 44) > 4 || (be32(p + 44) == 0 && r->npages > 1))
        return found(r, "the header's schema format %u is invalid", be32(p + 44));
    if (be32(p + 56) > 1 || (be32(p + 56) == 0 && r->npages > 1))
        return found(r, "the header's text encoding %u is not UTF-8 (sertel writes only UTF-8)",
                     be32(p + 56));
    if (be32(p + 28) != 0 && memcmp(p + 24, p + 92, 4) == 0 && be32(p + 28) > r->npages)
        return found(r, "the header counts %u pages, the database has %u", be32(p + 28), r->npages);
    if (be32(p + 36) != freelist_count || be32(p + 36) >= r->npages ||
        (be32(p + 32) == 0) != (be32(p + 36) == 0))
        return found(r, "the header's free-page list (first %u, count %u) is inconsistent",
                     be32(p + 32), be32(p + 36));
    return 0;
}

/* The freelist (§1.5): trunk pages, their leaf counts and page numbers. */
static int check_freelist(pgr *r, uint32_t trunk, uint32_t count)
{
    unsigned char *b = r->buf[0];
    uint32_t total = 0, n, i, maxleaves = r->usable / 4 - 2;

    while (trunk != 0) {
        if (mark(r, trunk, "the free-page list", 1))
            return 1;
        if (read_page(r, trunk, b))
            return 1;
        n = be32(b + 4);
        if (n > maxleaves)
            return found(r, "free-list trunk page %u lists %u pages (at most %u fit)", trunk, n,
                         maxleaves);
        for (i = 0; i < n; i++)
            if (mark(r, be32(b + 8 + 4 * i), "free-list trunk", trunk))
                return 1;
        total += n + 1;
        if (total > count)
            return found(r, "the free-page list holds more pages than the header's %u", count);
        trunk = be32(b);
    }
    if (total != count)
        return found(r, "the free-page list holds %u pages, the header says %u", total, count);
    return 0;
}

static int pragma_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);

    if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(q, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(q);
    return rc;
}

/* A table name from the schema that may go into a PRAGMA unquoted. */
static int plain_name(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n < 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* PRAGMA quick_check of one table (and its indexes) or, name NULL, of everything. */
static int quick_check(sq_store *s, pgr *r, const char *name, sertel_err *err)
{
    char sql[128];
    sqlite3_stmt *q = NULL;
    int rc;

    if (name != NULL)
        snprintf(sql, sizeof(sql), "PRAGMA quick_check(%s)", name);
    else
        snprintf(sql, sizeof(sql), "PRAGMA quick_check");
    rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *m = (const char *)sqlite3_column_text(q, 0);
        if (m != NULL && strcmp(m, "ok") != 0) {
            found(r, "%s%s: %s", name ? "table " : "", name ? name : "quick_check", m);
            break;
        }
    }
    sqlite3_finalize(q);
    if (r->what[0] != '\0')
        return 1;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW && rc != SQLITE_OK) {
        if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
            return found(r, "%s", sqlite3_errmsg(s->db));
        return sertel_err_set(err, SERTEL_ERR_STORE, "checking %s: %s",
                              name ? name : "the database", sqlite3_errmsg(s->db));
    }
    return 0;
}

typedef struct schema_row {
    char name[64];
    char tbl[64];
    int is_table;
    uint32_t root;
    tree t;
} schema_row;

#define SCHEMA_MAX 512

/* Tables whose b-trees (with their indexes') have few leaves, smallest first, within budget. */
static int check_small_tables(sq_store *s, pgr *r, schema_row *rows, size_t n, int64_t *tables,
                              sertel_err *err)
{
    int64_t *size = calloc(n ? n : 1, sizeof(*size));
    uint32_t used = 0;
    size_t i, j;
    int rc = 0;

    if (size == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++)
            if (rows[i].is_table && strcmp(rows[j].tbl, rows[i].name) == 0)
                size[i] += rows[j].t.leaves + rows[j].t.interiors;
    for (;;) {
        size_t best = n;
        for (i = 0; i < n; i++)
            if (rows[i].is_table && size[i] >= 0 && (best == n || size[i] < size[best]))
                best = i;
        if (best == n || (uint64_t)used + (uint64_t)size[best] > SMALL_TABLE_BUDGET_PAGES)
            break;
        used += (uint32_t)size[best];
        for (i = 0; i < n; i++) /* their leaves: the interior pages were read already */
            if (strcmp(rows[i].tbl, rows[best].name) == 0)
                r->reads += rows[i].t.leaves;
        size[best] = -1;
        if (!plain_name(rows[best].name))
            continue;
        rc = quick_check(s, r, rows[best].name, err);
        if (rc != 0)
            break;
        (*tables)++;
    }
    free(size);
    return rc;
}

int sq_check_locked(sq_store *s, int flags, store_check_stats *stats, sertel_err *err)
{
    pgr r;
    sqlite3_stmt *q = NULL;
    schema_row *rows = NULL;
    size_t nrows = 0, i;
    int64_t v = 0, freelist = 0;
    uint32_t commit_size = 0;
    sqlite3_int64 fsize = 0;
    int rc = SERTEL_OK, bad = 0;
    store_check_stats st = {0};

    memset(&r, 0, sizeof(r));
    r.pfd = -1;
    if (pragma_int(s->db, "PRAGMA page_size", &v) != SQLITE_OK || v < 512 || v > 65536 ||
        pragma_int(s->db, "PRAGMA freelist_count", &freelist) != SQLITE_OK) {
        rc = sqlite3_errcode(s->db);
        if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) {
            bad = found(&r, "%s", sqlite3_errmsg(s->db));
            rc = SERTEL_OK;
            goto out;
        }
        rc = sertel_err_set(err, SERTEL_ERR_STORE, "checking the database: %s",
                            sqlite3_errmsg(s->db));
        goto out;
    }
    r.pgsz = (uint32_t)v;
    if (pragma_int(s->db, "PRAGMA page_count", &v) != SQLITE_OK) {
        bad = found(&r, "%s", sqlite3_errmsg(s->db));
        goto out;
    }
    r.npages = (uint32_t)v;
    st.pages = v;
    if (r.npages == 0)
        goto out; /* a new, empty database */
    if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_FILE_POINTER, &r.db) != SQLITE_OK ||
        r.db == NULL || r.db->pMethods == NULL ||
        r.db->pMethods->xFileSize(r.db, &fsize) != SQLITE_OK) {
        rc = sertel_err_set(err, SERTEL_ERR_INTERNAL, "cannot reach the database file to check it");
        goto out;
    }
    r.dbsize = fsize;
    if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &r.wal) != SQLITE_OK)
        r.wal = NULL;
    if ((rc = wal_index(&r, &commit_size, err)) != SERTEL_OK)
        goto out;
    if (commit_size != 0 && commit_size != r.npages) {
        /* Our reading of the WAL disagrees with SQLite's (a writer crashed after writing
         * frames SQLite has not recovered yet): no reliable view, nothing to conclude. */
        goto out;
    }
    r.seen = calloc((size_t)r.npages / 8 + 1, 1);
    for (i = 0; i < MAX_DEPTH + 2 && r.seen != NULL; i++)
        if ((r.buf[i] = malloc(r.pgsz)) == NULL)
            break;
    if (r.seen == NULL || i < MAX_DEPTH + 2) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory checking the database");
        goto out;
    }
    r.usable = r.pgsz;
    r.pfd = find_db_fd(s->path);
    if (read_page(&r, 1, r.buf[0])) {
        bad = 1;
        goto out;
    }
    r.usable = r.pgsz - r.buf[0][20];
    if (r.usable < 480) {
        bad = found(&r, "the header reserves %u of %u bytes per page", r.buf[0][20], r.pgsz);
        goto out;
    }
    if ((bad = check_header(&r, r.buf[0], (uint32_t)freelist)) != 0)
        goto out;
    r.seen[0] |= 2; /* page 1 */
    if ((bad = check_freelist(&r, be32(r.buf[0] + 32), be32(r.buf[0] + 36))) != 0)
        goto out;

    /* The schema table (rooted at page 1), then every table and index it names. */
    rows = calloc(SCHEMA_MAX + 1, sizeof(*rows));
    if (rows == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory checking the database");
        goto out;
    }
    snprintf(rows[0].name, sizeof(rows[0].name), "sqlite_schema");
    rows[0].root = 1;
    nrows = 1;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT type, name, tbl_name, rootpage FROM sqlite_schema "
                           "WHERE type IN ('table', 'index') AND rootpage > 0",
                           -1, &q, NULL) != SQLITE_OK) {
        bad = found(&r, "the schema cannot be read: %s", sqlite3_errmsg(s->db));
        goto out;
    }
    while ((v = sqlite3_step(q)) == SQLITE_ROW) {
        schema_row *w = &rows[nrows];
        const char *name = (const char *)sqlite3_column_text(q, 1);
        const char *tbl = (const char *)sqlite3_column_text(q, 2);
        int64_t root = sqlite3_column_int64(q, 3);
        if (nrows >= SCHEMA_MAX + 1) {
            bad = found(&r, "the schema names more than %d tables and indexes", SCHEMA_MAX);
            break;
        }
        snprintf(w->name, sizeof(w->name), "%s", name ? name : "?");
        snprintf(w->tbl, sizeof(w->tbl), "%s", tbl ? tbl : "?");
        w->is_table = strcmp((const char *)sqlite3_column_text(q, 0), "table") == 0;
        if (root < 2 || root > r.npages) {
            bad = found(&r, "the schema gives %s the root page %lld, outside the database", w->name,
                        (long long)root);
            break;
        }
        w->root = (uint32_t)root;
        nrows++;
    }
    if (!bad && v != SQLITE_DONE)
        bad = found(&r, "the schema cannot be read: %s", sqlite3_errmsg(s->db));
    sqlite3_finalize(q);
    q = NULL;
    if (bad)
        goto out;
    for (i = 1; i < nrows; i++)
        prefetch(&r, rows[i].root); /* every root at once */
    for (i = 0; i < nrows && !bad; i++) {
        rows[i].t.name = rows[i].name;
        if (i > 0 && mark(&r, rows[i].root, "the schema", 1)) {
            bad = 1;
            break;
        }
        bad = check_tree(&r, &rows[i].t, rows[i].root);
        st.btrees++;
    }
    if (bad)
        goto out;
    /* Small tables are read in full: their leaves too (PRAGMA quick_check(table)). */
    rc = check_small_tables(s, &r, rows + 1, nrows - 1, &st.tables_full, err);
    if (rc > 0) {
        bad = 1;
        rc = SERTEL_OK;
    }
    if (rc == SERTEL_OK && !bad && (flags & STORE_CHECK_FULL)) {
        rc = quick_check(s, &r, NULL, err);
        if (rc > 0) {
            bad = 1;
            rc = SERTEL_OK;
        }
        st.pages_read = st.pages;
    }
out:
    sqlite3_finalize(q);
    if (st.pages_read == 0)
        st.pages_read = r.reads < st.pages ? r.reads : st.pages;
    if (stats != NULL)
        *stats = st;
    free(rows);
    free(r.wmap);
    free(r.seen);
    for (i = 0; i < MAX_DEPTH + 2; i++)
        free(r.buf[i]);
    if (rc == SERTEL_OK && bad) {
        sq_mark_damaged(s, r.what);
        return sq_damaged_error(s, err, r.what);
    }
    return rc;
}

static int flag_path(sq_store *s, char *out, size_t cap)
{
    return (size_t)snprintf(out, cap, "%s" SQ_DAMAGE_SUFFIX, s->path) < cap ? 0 : -1;
}

void sq_mark_damaged(sq_store *s, const char *what)
{
    char path[4096], line[WHAT_MAX], text[WHAT_MAX + 128], when[32];
    time_t now = time(NULL);
    struct tm tm;
    size_t i;

    if (flag_path(s, path, sizeof(path)) != 0 || fs_exists(path))
        return;
    for (i = 0; what[i] != '\0' && i + 1 < sizeof(line); i++)
        line[i] = what[i] == '\n' || what[i] == '\r' ? ' ' : what[i];
    line[i] = '\0';
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* Line 1: the finding; line 2: when and by which process. */
    snprintf(text, sizeof(text), "%s\nnoticed %s by process %ld\n", line, when, (long)getpid());
    if (fs_create_excl(path, text, strlen(text), 0600, NULL) != SERTEL_OK)
        return; /* best effort: the caller's error stands without the flag */
}

int sq_damaged_error(sq_store *s, sertel_err *err, const char *what)
{
    return sertel_err_set(
        err, SERTEL_ERR_STORE,
        "the database %s is damaged (%s): sertel refuses to write to it. Restore the home from "
        "its newest backup with 'sertel restore --from BACKUP --home NEWDIR' and run sertel on "
        "NEWDIR; as a last resort salvage what is readable with 'sqlite3 %s .recover | sqlite3 "
        "NEW.db' (docs/operations.md, \"A damaged database\")",
        s->path, what, s->path);
}

int sq_damage_flag_check(sq_store *s, sertel_err *err)
{
    char path[4096], what[WHAT_MAX + 4200];
    unsigned char *text = NULL;
    size_t len = 0;
    int rc;

    if (flag_path(s, path, sizeof(path)) != 0 || !fs_exists(path))
        return SERTEL_OK;
    rc = fs_read_file(path, 4096, &text, &len, NULL);
    if (rc == SERTEL_OK) {
        char *nl = strchr((char *)text, '\n');
        if (nl != NULL)
            *nl = '\0';
        snprintf(what, sizeof(what), "%s; recorded in %s", (char *)text, path);
    } else {
        snprintf(what, sizeof(what), "marked so by %s", path);
    }
    free(text);
    return sq_damaged_error(s, err, what);
}
