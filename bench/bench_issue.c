/*
 * bench_issue.c - issuance throughput of the CA core, durable.
 *
 * Creates a fresh home (SQLite, software EC P-256 CA keys) in a temporary
 * directory and issues document-signing certificates through the library,
 * exactly as `sertel cert issue` does (build, lint, sign, record + audit,
 * synchronous=FULL commit), in batches (group commit: one fsync per batch)
 * and, for comparison, one commit per certificate. With --threads N, N
 * threads each hold their own CA handle on the same home; signing runs in
 * parallel, commits serialise on the database lock.
 *
 * Usage: bench_issue [--count N] [--batch B] [--threads T] [--dir DIR]
 * Prints one line per configuration: certificates/s.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca/ca.h"
#include "conf/conf.h"
#include "util/fs.h"

struct job {
    const char *home;
    long count;
    int batch;
    EVP_PKEY *key;
    int failed;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
    struct job *j = arg;
    ca_ctx *ca = NULL;
    sertel_err err = {0};
    ca_issue_req *reqs;
    X509 **out;
    long done = 0;
    int i;

    reqs = calloc((size_t)j->batch, sizeof(*reqs));
    out = calloc((size_t)j->batch, sizeof(*out));
    if (reqs == NULL || out == NULL || ca_open(j->home, 0, &ca, &err) != SERTEL_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        j->failed = 1;
        goto out;
    }
    for (i = 0; i < j->batch; i++) {
        reqs[i].profile = "document-signing";
        reqs[i].pubkey = j->key;
        reqs[i].subject.org = "Kementerian Contoh";
        reqs[i].subject.unit = "Biro Umum";
        reqs[i].subject.name = "Pegawai Contoh";
        reqs[i].subject.email = "pegawai@contoh.go.id";
        reqs[i].actor = "bench";
    }
    while (done < j->count) {
        int n = (int)(j->count - done < j->batch ? j->count - done : j->batch);
        if (ca_issue_batch(ca, reqs, (size_t)n, out, &err) != SERTEL_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            j->failed = 1;
            break;
        }
        for (i = 0; i < n; i++)
            X509_free(out[i]);
        done += n;
    }
out:
    ca_close(ca);
    free(reqs);
    free(out);
    return NULL;
}

static int run(const char *home, long count, int batch, int threads, EVP_PKEY *key)
{
    pthread_t th[16];
    struct job jobs[16];
    double t0, dt;
    int i, failed = 0;

    t0 = now_s();
    for (i = 0; i < threads; i++) {
        jobs[i].home = home;
        jobs[i].count = count / threads;
        jobs[i].batch = batch;
        jobs[i].key = key;
        jobs[i].failed = 0;
        pthread_create(&th[i], NULL, worker, &jobs[i]);
    }
    for (i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        failed |= jobs[i].failed;
    }
    dt = now_s() - t0;
    if (failed)
        return 1;
    printf("issue  count=%-6ld batch=%-4d threads=%d  %8.0f certificates/s  (%.2f s)\n",
           count / threads * threads, batch, threads, (double)(count / threads * threads) / dt, dt);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    long count = 20000;
    int batch = 256, threads = 2, i, rc = 0;
    const char *dir = NULL;
    char *tmp = NULL, home[4096];
    ca_init_opts o;
    sertel_err err = {0};
    EVP_PKEY *key;

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--count") == 0)
            count = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--batch") == 0)
            batch = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0)
            threads = (int)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
    }
    if (count < 1 || batch < 1 || batch > CA_BATCH_MAX || threads < 1 || threads > 16) {
        fputs("usage: bench_issue [--count N] [--batch 1..1024] [--threads 1..16] [--dir D]\n",
              stderr);
        return 2;
    }
    if (sodium_init() < 0)
        return 2;
    if (dir == NULL) {
        char t[] = "/var/tmp/sertel-bench-XXXXXX";
        tmp = mkdtemp(t) ? strdup(t) : NULL;
        dir = tmp;
    }
    snprintf(home, sizeof(home), "%s/home", dir);
    memset(&o, 0, sizeof(o));
    o.home = home;
    o.org = "Kementerian Contoh";
    o.key_type = KS_KEY_EC_P256;
    o.admin_email = "admin@contoh.go.id";
    o.admin_name = "Admin";
    o.admin_password = "benchmark password";
    if (ca_init(&o, &err) != SERTEL_OK) {
        fprintf(stderr, "bench: init: %s\n", err.msg);
        return 2;
    }
    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    /* Warm-up, then the configurations. */
    rc |= run(home, 500, batch, 1, key);
    rc |= run(home, count, batch, 1, key);
    rc |= run(home, count, batch, threads, key);
    rc |= run(home, count / 20 > 0 ? count / 20 : 1, 1, 1, key);
    EVP_PKEY_free(key);
    if (tmp != NULL) {
        fs_rmtree(tmp);
        free(tmp);
    }
    return rc;
}
