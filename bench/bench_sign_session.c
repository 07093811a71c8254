/*
 * bench_sign_session.c - the owner's signing operation in-process (lib/sign),
 * the peer of the sign endpoint's figures (bench_api_sign.sh): on a home
 * with an issued owner, for ROUNDS rounds it measures
 *   - one authorization (sign_session_open: the Argon2id derivation at the
 *     home's parameters, the key's decryption, the audited outcome), and
 *     crypto_pwhash alone at the same parameters;
 *   - BATCH documents signed under it with sign_pdf_batch, as the API does
 *     (the given level, the home's TSA in-process, answers into unnamed
 *     files, one register commit for the batch), per document.
 * One line per round, then medians; all times in ms of one thread.
 *
 * Usage: bench_sign_session HOME OWNER_EMAIL PASSPHRASE PDF [ROUNDS] [BATCH] [LEVEL]
 */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "pki/pki.h"
#include "ra/ra.h"
#include "sign/sign.h"
#include "util/num.h"

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of the process (all threads), ms: what other processes on the machine do not inflate. */
static double cpu_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    const char *home, *email, *pass, *pdf;
    int64_t rounds_v = 5, batch_v = 50;
    int rounds, batch, r, i;
    pades_opts po;
    ra *ra_ = NULL;
    pki *p = NULL;
    sign_ctx sc;
    ra_actor by;
    double *t_auth, *t_kdf, *t_doc, *c_kdf, *c_doc;
    int64_t mem_kib = 0, ops = 0;
    sertel_err err = {0};
    sign_doc *docs;
    int *fds;
    char tmpdir[] = "/dev/shm";

    if ((argc > 5 && num_parse_i64z(argv[5], 1, 100000, &rounds_v) != SERTEL_OK) ||
        (argc > 6 && num_parse_i64z(argv[6], 1, 10000, &batch_v) != SERTEL_OK))
        argc = 0; /* usage */
    rounds = (int)rounds_v;
    batch = (int)batch_v;
    if (argc < 5) {
        fprintf(stderr, "usage: bench_sign_session HOME EMAIL PASSPHRASE PDF [ROUNDS] [BATCH] "
                        "[LEVEL]\n");
        return 2;
    }
    home = argv[1];
    email = argv[2];
    pass = argv[3];
    pdf = argv[4];
    memset(&po, 0, sizeof(po));
    po.level = PADES_B_T;
    if (argc > 7 && pades_level_parse(argv[7], &po.level) != 0)
        return 2;
    if (sodium_init() < 0 || ra_open(home, &ra_, &err) != SERTEL_OK ||
        pki_open(home, &p, &err) != SERTEL_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 2;
    }
    if (conf_get_int(ca_get0_conf(ra_get0_ca(ra_)), "signing", "argon2_memory_kib", 65536, 8,
                     1 << 22, &mem_kib, &err) != SERTEL_OK ||
        conf_get_int(ca_get0_conf(ra_get0_ca(ra_)), "signing", "argon2_passes", 3, 1, 20, &ops,
                     &err) != SERTEL_OK)
        return 2;
    memset(&sc, 0, sizeof(sc));
    sc.r = ra_;
    sc.services = p;
    ra_actor_local_admin(&by);
    t_auth = calloc((size_t)rounds, sizeof(double));
    t_kdf = calloc((size_t)rounds, sizeof(double));
    t_doc = calloc((size_t)rounds, sizeof(double));
    c_kdf = calloc((size_t)rounds, sizeof(double));
    c_doc = calloc((size_t)rounds, sizeof(double));
    docs = calloc((size_t)batch, sizeof(*docs));
    fds = calloc((size_t)batch, sizeof(*fds));
    if (t_auth == NULL || t_kdf == NULL || t_doc == NULL || c_kdf == NULL || c_doc == NULL ||
        docs == NULL || fds == NULL)
        return 2;
    for (i = 0; i < batch; i++)
        fds[i] = open(tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    printf("Argon2id %lld KiB, %lld passes; %d documents a batch, %s\n", (long long)mem_kib,
           (long long)ops, batch, pades_level_name(po.level));
    for (r = 0; r < rounds; r++) {
        unsigned char key[32], salt[crypto_pwhash_SALTBYTES] = {0};
        sign_session *ss = NULL;
        double t0 = now_ms(), c0 = cpu_ms();
        if (crypto_pwhash(key, sizeof(key), pass, strlen(pass), salt, (unsigned long long)ops,
                          (size_t)mem_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0)
            return 2;
        t_kdf[r] = now_ms() - t0;
        c_kdf[r] = cpu_ms() - c0;
        t0 = now_ms();
        if (sign_session_open(&sc, &by, email, NULL, pass, NULL, &ss, NULL, &err) != SERTEL_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 2;
        }
        t_auth[r] = now_ms() - t0;
        for (i = 0; i < batch; i++) {
            memset(&docs[i], 0, sizeof(docs[i]));
            docs[i].in_path = pdf;
            docs[i].o = &po;
            if (fs_output_open_fd(fds[i], "answer", tmpdir, FS_OUTPUT_SHA256, &docs[i].out, &err) !=
                SERTEL_OK)
                return 2;
        }
        t0 = now_ms();
        c0 = cpu_ms();
        if (sign_pdf_batch(ss, docs, (size_t)batch, &err) != SERTEL_OK) {
            fprintf(stderr, "bench: %s\n", err.msg);
            return 2;
        }
        t_doc[r] = (now_ms() - t0) / batch;
        c_doc[r] = (cpu_ms() - c0) / batch;
        for (i = 0; i < batch; i++)
            if (docs[i].rc != SERTEL_OK) {
                fprintf(stderr, "bench: %s\n", docs[i].err.msg);
                return 2;
            }
        sign_session_close(ss);
        printf("round %d: crypto_pwhash %.1f ms, authorization %.1f ms, %.3f ms a document "
               "(%.0f documents/s on one thread); CPU: crypto_pwhash %.1f ms, %.3f ms a "
               "document\n",
               r + 1, t_kdf[r], t_auth[r], t_doc[r], 1000.0 / t_doc[r], c_kdf[r], c_doc[r]);
        fflush(stdout);
    }
    printf("median: crypto_pwhash %.1f ms, authorization %.1f ms, %.3f ms a document; CPU: "
           "crypto_pwhash %.1f ms, %.3f ms a document\n",
           median(t_kdf, rounds), median(t_auth, rounds), median(t_doc, rounds),
           median(c_kdf, rounds), median(c_doc, rounds));
    for (i = 0; i < batch; i++)
        close(fds[i]);
    pki_close(p);
    ra_close(ra_);
    return 0;
}
