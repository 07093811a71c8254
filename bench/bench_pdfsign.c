/*
 * bench_pdfsign.c - PAdES B-B signatures per second in-process, on a
 * ~100 KB one-page PDF, with a software P-256 key (no passphrase KDF), on
 * 1 and 2 threads. Output goes to a tmpfs directory (/dev/shm) so the
 * figure is the signer's CPU cost, not the disk's fsync latency.
 *
 * Usage: bench_pdfsign [COUNT]   (default 4000)
 */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pdf/pdf.h"

static char in_path[] = "/dev/shm/sertel-bench-in.pdf";
static pdf_sign_opts opts;
static long per_thread;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
    char out[64];
    long i;
    sertel_err err = {0};

    snprintf(out, sizeof(out), "/dev/shm/sertel-bench-out-%ld.pdf", (long)(intptr_t)arg);
    for (i = 0; i < per_thread; i++) {
        if (pdf_sign_file(in_path, out, &opts, &err) != SERTEL_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            exit(2);
        }
    }
    unlink(out);
    return NULL;
}

static void make_pdf(void)
{
    FILE *f = fopen(in_path, "wb");
    long offs[5], x, len = 100 * 1024, i;

    if (f == NULL)
        exit(2);
    fputs("%PDF-1.7\n", f);
    offs[1] = ftell(f);
    fputs("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n", f);
    offs[2] = ftell(f);
    fputs("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n", f);
    offs[3] = ftell(f);
    fputs("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\n"
          "endobj\n",
          f);
    offs[4] = ftell(f);
    fprintf(f, "4 0 obj\n<< /Length %ld >>\nstream\n", len);
    for (i = 0; i < len; i++)
        fputc(i % 64 == 63 ? '\n' : '%', f); /* comments: a valid, inert content stream */
    fputs("\nendstream\nendobj\n", f);
    x = ftell(f);
    fputs("xref\n0 5\n0000000000 65535 f \n", f);
    for (i = 1; i <= 4; i++)
        fprintf(f, "%010ld 00000 n \n", offs[i]);
    fprintf(f, "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", x);
    fclose(f);
}

int main(int argc, char **argv)
{
    long count = argc > 1 ? strtol(argv[1], NULL, 10) : 4000;
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *c = X509_new();
    X509_NAME *n = X509_NAME_new();
    int threads;

    if (count < 2 || k == NULL || c == NULL || n == NULL)
        return 2;
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"Bench", -1, -1, 0);
    X509_set_version(c, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
    X509_gmtime_adj(X509_getm_notBefore(c), 0);
    X509_gmtime_adj(X509_getm_notAfter(c), 86400);
    X509_set_subject_name(c, n);
    X509_set_issuer_name(c, n);
    X509_set_pubkey(c, k);
    X509_sign(c, k, EVP_sha256());
    make_pdf();
    memset(&opts, 0, sizeof(opts));
    opts.signer.key = k;
    opts.signer.cert = c;
    opts.when = 1700000000;
    for (threads = 1; threads <= 2; threads++) {
        pthread_t th[2];
        double t0;
        long t;
        per_thread = count / threads;
        t0 = now_s();
        for (t = 0; t < threads; t++)
            pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
        for (t = 0; t < threads; t++)
            pthread_join(th[t], NULL);
        printf("PAdES B-B, %ld KB PDF, %d thread(s): %.0f signatures/s\n", 100L, threads,
               (double)(per_thread * threads) / (now_s() - t0));
    }
    unlink(in_path);
    X509_NAME_free(n);
    X509_free(c);
    EVP_PKEY_free(k);
    return 0;
}
