/*
 * bench_store_check.c - the cost of the store's damage check (store.h,
 * "Damage") next to SQLite's PRAGMA quick_check, on the same database in
 * the same run: warm (pages in the OS cache) and cold (the file dropped
 * from the cache with posix_fadvise before each run). Built on demand:
 * cmake --build build --target bench_store_check; bench/bench_store_check.sh
 * makes a store with 1,000,000 certificates and runs it.
 *
 * Usage: bench_store_check DB [RUNS]
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Drop the database (and its WAL) from the page cache. */
static void drop_cache(const char *db)
{
    char wal[4096];
    int fd;

    snprintf(wal, sizeof(wal), "%s-wal", db);
    if ((fd = open(db, O_RDONLY)) >= 0) {
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
    if ((fd = open(wal, O_RDONLY)) >= 0) {
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double check_once(const char *db, int cold, store_check_stats *stats)
{
    store *st = NULL;
    sertel_err err = {0};
    double t0, t1;

    if (cold)
        drop_cache(db);
    if (store_open(db, 0, &st, &err) != SERTEL_OK) {
        fprintf(stderr, "open: %s\n", err.msg);
        exit(2);
    }
    t0 = now_ms();
    if (store_check(st, 0, stats, &err) != SERTEL_OK) {
        fprintf(stderr, "check: %s\n", err.msg);
        exit(2);
    }
    t1 = now_ms();
    store_close(st);
    return t1 - t0;
}

static double quick_check_once(const char *db, int cold)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *q = NULL;
    double t0, t1;
    int rc;

    if (cold)
        drop_cache(db);
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        exit(2);
    t0 = now_ms();
    sqlite3_prepare_v2(h, "PRAGMA quick_check", -1, &q, NULL);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        if (strcmp((const char *)sqlite3_column_text(q, 0), "ok") != 0)
            fprintf(stderr, "quick_check: %s\n", sqlite3_column_text(q, 0));
    t1 = now_ms();
    sqlite3_finalize(q);
    sqlite3_close(h);
    return t1 - t0;
}

int main(int argc, char **argv)
{
    store_check_stats s;
    double warm[64], cold[64], qw, qc;
    char *end = NULL;
    long runs = argc > 2 ? strtol(argv[2], &end, 10) : 9;
    int i;

    if (argc < 2 || (argc > 2 && (end == argv[2] || *end != '\0')) || runs < 1 || runs > 64) {
        fprintf(stderr, "usage: bench_store_check DB [RUNS]\n");
        return 2;
    }
    check_once(argv[1], 0, &s); /* warm up */
    for (i = 0; i < runs; i++)
        warm[i] = check_once(argv[1], 0, &s);
    for (i = 0; i < runs; i++)
        cold[i] = check_once(argv[1], 1, &s);
    qsort(warm, (size_t)runs, sizeof(double), cmp);
    qsort(cold, (size_t)runs, sizeof(double), cmp);
    printf("database: %lld pages of %s\n", (long long)s.pages, argv[1]);
    printf("store_check: %lld pages read (%.2f%%), %lld b-trees, %lld small tables in full\n",
           (long long)s.pages_read, 100.0 * (double)s.pages_read / (double)s.pages,
           (long long)s.btrees, (long long)s.tables_full);
    printf("store_check  warm: median %.1f ms (min %.1f, max %.1f) over %ld runs\n", warm[runs / 2],
           warm[0], warm[runs - 1], runs);
    printf("store_check  cold: median %.1f ms (min %.1f, max %.1f) over %ld runs\n", cold[runs / 2],
           cold[0], cold[runs - 1], runs);
    if (getenv("NO_QUICK_CHECK") != NULL)
        return 0; /* SQLite's full check takes minutes on a large store: only when asked */
    qw = quick_check_once(argv[1], 0);
    qc = quick_check_once(argv[1], 1);
    printf("quick_check  warm: %.0f ms  (%.0fx the check)\n", qw, qw / warm[runs / 2]);
    printf("quick_check  cold: %.0f ms  (%.0fx the check)\n", qc, qc / cold[runs / 2]);
    return 0;
}
