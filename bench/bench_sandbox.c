/*
 * bench_sandbox.c - what the sandbox (lib/sandbox) costs a long-running
 * caller such as `sertel serve`, per validation of one signed PDF,
 * offline, in one process:
 *   in-process   pdf_verify_file, no sandbox (the reference);
 *   worker       pdf_verify_file_sb with one sbx: the worker image is
 *                exec'd once, each job is a fork of it (what serve does);
 *   exec per job a new sbx for each validation: exec of the image, then
 *                the job (what a worker per job without the image costs);
 *   empty job    a job that does nothing: the sandbox's own cost per job.
 * Rounds interleave the variants; each line gives the median wall-clock
 * time of the rounds, and the CPU time of all processes involved (this
 * one, the worker image, the job processes) per validation over all
 * rounds, which a busy machine disturbs less. This executable is its own
 * worker. Not a test.
 *
 * Usage: bench_sandbox SIGNED.pdf ROOT.pem [ROUNDS] [PER_ROUND]
 *   (bench/bench_verify.sh builds the file and runs it)
 */
#include <openssl/pem.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "pdf/verify_job.h"

static int job_nothing(const sbx_request *req, unsigned char **out, size_t *out_len,
                       sertel_err *err)
{
    (void)req;
    (void)err;
    *out = NULL;
    *out_len = 0;
    return SERTEL_OK;
}

static const sbx_handler handlers[] = {
    {VFY_JOB_PDF, vfy_job_pdf},
    {"nothing", job_nothing},
};

static double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* CPU ms of this process, its reaped descendants, and the living image (with its reaped jobs). */
static double cpu_ms(pid_t image)
{
    struct rusage s, c;
    double ms;
    char path[64];
    FILE *f;

    getrusage(RUSAGE_SELF, &s);
    getrusage(RUSAGE_CHILDREN, &c);
    ms = (double)(s.ru_utime.tv_sec + s.ru_stime.tv_sec + c.ru_utime.tv_sec + c.ru_stime.tv_sec) *
             1e3 +
         (double)(s.ru_utime.tv_usec + s.ru_stime.tv_usec + c.ru_utime.tv_usec +
                  c.ru_stime.tv_usec) /
             1e3;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)image);
    if (image > 0 && (f = fopen(path, "r")) != NULL) {
        char buf[1024], *p;
        unsigned long long ut, st, cut, cst;
        if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL &&
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &ut,
                   &st, &cut, &cst) == 4)
            ms += (double)(ut + st + cut + cst) * 1e3 / (double)sysconf(_SC_CLK_TCK);
        fclose(f);
    }
    return ms;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp);
    return v[n / 2];
}

enum { IN_PROCESS, WORKER, EXEC_PER_JOB, EMPTY_JOB, NVAR };

static void one(int var, sbx *sb, const char *pdf, const vfy_opts *o)
{
    vfy_report *r = NULL;
    sertel_err err = {0};
    int rc = SERTEL_OK;

    if (var == IN_PROCESS) {
        rc = pdf_verify_file_sb(NULL, pdf, o, &r, &err);
    } else if (var == WORKER) {
        rc = pdf_verify_file_sb(sb, pdf, o, &r, &err);
    } else if (var == EXEC_PER_JOB) {
        sbx *fresh = NULL;
        rc = sbx_new(NULL, &fresh, &err);
        if (rc == SERTEL_OK)
            rc = pdf_verify_file_sb(fresh, pdf, o, &r, &err);
        sbx_free(fresh);
    } else {
        sbx_job j = SBX_JOB_INIT;
        unsigned char *out = NULL;
        size_t len = 0;
        j.type = "nothing";
        rc = sbx_run(sb, &j, &out, &len, NULL, &err);
        free(out);
    }
    if (rc != SERTEL_OK) {
        fprintf(stderr, "bench_sandbox: %s\n", err.msg);
        exit(2);
    }
    vfy_report_free(r);
}

int main(int argc, char **argv)
{
    static const char *const names[NVAR] = {
        "in-process (pdf_verify_file)", "worker: image once, fork per job",
        "exec per job (new image each time)", "empty job (sandbox cost alone)"};
    int rounds, per, i, k, v;
    double *t[NVAR], base, cpu[NVAR] = {0};
    STACK_OF(X509) * trust;
    vfy_opts o;
    sbx *sb = NULL;
    sertel_err err = {0};
    FILE *f;
    X509 *x;

    if (argc > 1 && strcmp(argv[1], SBX_WORKER_ARG) == 0)
        return sbx_worker_main(argc, argv, handlers, sizeof(handlers) / sizeof(handlers[0]),
                               vfy_job_init);
    if (argc < 3 || sodium_init() < 0) {
        fprintf(stderr, "usage: bench_sandbox SIGNED.pdf ROOT.pem [ROUNDS] [PER_ROUND]\n");
        return 2;
    }
    rounds = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 15;
    per = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 20;
    if (rounds < 1 || per < 1)
        return 2;
    trust = sk_X509_new_null();
    f = fopen(argv[2], "r");
    if (trust == NULL || f == NULL || (x = PEM_read_X509(f, NULL, NULL, NULL)) == NULL ||
        !sk_X509_push(trust, x)) {
        fprintf(stderr, "bench_sandbox: cannot read %s\n", argv[2]);
        return 2;
    }
    fclose(f);
    memset(&o, 0, sizeof(o));
    o.trust = trust;
    o.offline = 1;
    if (sbx_new(NULL, &sb, &err) != SERTEL_OK) {
        fprintf(stderr, "bench_sandbox: %s\n", err.msg);
        return 2;
    }
    for (v = 0; v < NVAR; v++) {
        t[v] = calloc((size_t)rounds, sizeof(double));
        if (t[v] == NULL)
            return 2;
        one(v, sb, argv[1], &o); /* warm up (the image starts here) */
    }
    for (i = 0; i < rounds; i++)
        for (v = 0; v < NVAR; v++) {
            pid_t img = sbx_worker_image_pid(sb);
            double s = now_ms(), c = cpu_ms(img);
            for (k = 0; k < per; k++)
                one(v, sb, argv[1], &o);
            t[v][i] = (now_ms() - s) / per;
            cpu[v] += cpu_ms(img) - c;
        }
    base = median(t[IN_PROCESS], rounds);
    printf("%d rounds of %d validations each; per validation: median wall clock, and CPU of all "
           "processes\n",
           rounds, per);
    for (v = 0; v < NVAR; v++) {
        double m = v == IN_PROCESS ? base : median(t[v], rounds);
        double c = cpu[v] / (rounds * per), cbase = cpu[IN_PROCESS] / (rounds * per);
        printf("  %-36s %7.2f ms %6.2fx  |  CPU %7.2f ms %6.2fx\n", names[v], m, m / base, c,
               c / cbase);
        free(t[v]);
    }
    sbx_free(sb);
    sk_X509_pop_free(trust, X509_free);
    return 0;
}
