/*
 * bench_lifecycle.c - the registration authority's costs:
 *   1. one passphrase check (Argon2id at the configured parameters, plus the
 *      key decryption) in milliseconds, at the shipped default (64 MiB,
 *      3 passes) and at the documented minimum (19 MiB, 2 passes);
 *   2. the full lifecycle per second: register -> confirm e-mail -> apply
 *      (letter + e-KTP checked and stored) -> verifier approves ->
 *      passphrase created (key generated, encrypted, certificate issued),
 *      every step a durable, audited transaction.
 *
 * Usage: bench_lifecycle DATA_DIR [--people N]
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ra/ra.h"
#include "ra/ra_int.h"
#include "ra/upload_job.h"
#include "util/fs.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_argon(const char *home, int kib, int passes)
{
    char path[4096], *line, *save = NULL;
    unsigned char *text = NULL;
    size_t len;
    FILE *fp;

    if (fs_path_join(path, sizeof(path), home, "sertel.conf", NULL) != SERTEL_OK ||
        fs_read_file(path, 1 << 20, &text, &len, NULL) != SERTEL_OK)
        exit(2);
    fp = fopen(path, "w");
    if (fp == NULL)
        exit(2);
    for (line = strtok_r((char *)text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "argon2_memory_kib", 17) == 0)
            fprintf(fp, "argon2_memory_kib = %d\n", kib);
        else if (strncmp(line, "argon2_passes", 13) == 0)
            fprintf(fp, "argon2_passes = %d\n", passes);
        else if (strncmp(line, "second_factor", 13) == 0)
            fputs("second_factor = off\n", fp);
        else
            fprintf(fp, "%s\n", line);
    }
    fclose(fp);
    free(text);
}

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if ((x) != SERTEL_OK) {                                                                    \
            fprintf(stderr, "bench: %s: %s\n", #x, err.msg);                                       \
            exit(2);                                                                               \
        }                                                                                          \
    } while (0)

static int64_t lifecycle(ra *r, int64_t agency, int n, const unsigned char *letter, size_t ll,
                         const unsigned char *ktp, size_t kl, const char *pass)
{
    ra_registration reg;
    ra_actor admin;
    char email[64], nik[32], name[64], token[2 * RA_TOKEN_BYTES + 1], serial[41];
    int64_t acct = 0, app = 0;
    sertel_err err = {0};

    ra_actor_local_admin(&admin);
    snprintf(email, sizeof(email), "pegawai%d@contoh.go.id", n);
    snprintf(name, sizeof(name), "Pegawai %d", n);
    snprintf(nik, sizeof(nik), "627101%02d0190%04d", 1 + n % 28, n % 9999 + 1);
    memset(&reg, 0, sizeof(reg));
    reg.agency_id = agency;
    reg.name = name;
    reg.nik = nik;
    reg.email = email;
    reg.unit = "Biro Umum";
    reg.position = "Analis";
    CHECK(ra_register(r, &admin, &reg, &acct, &err));
    /* The confirmation token went by mail; the bench makes its own. */
    CHECK(store_begin(ca_get0_store(ra_get0_ca(r)), &err));
    CHECK(ra_token_create(r, "email_confirm", acct, 0, 3600, token, &err));
    CHECK(ca_txn_commit(ra_get0_ca(r), &err));
    CHECK(ra_email_confirm(r, token, &err));
    CHECK(ra_apply_issuance(r, &admin, email, letter, ll, ktp, kl, &app, &err));
    CHECK(ra_review_decide(r, &admin, app, RA_APPROVE, NULL, &err));
    CHECK(store_begin(ca_get0_store(ra_get0_ca(r)), &err));
    CHECK(ra_token_create(r, "passphrase", acct, app, 3600, token, &err));
    CHECK(ca_txn_commit(ra_get0_ca(r), &err));
    CHECK(ra_passphrase_create(r, &admin, token, pass, serial, &err));
    return acct;
}

static const sbx_handler worker_jobs[] = {{UPLOAD_JOB_CHECK, upload_job_check}};

int main(int argc, char **argv)
{
    char tmpl[] = "/var/tmp/sertel-bench-XXXXXX", home[4096], path[4096], email[64];
    unsigned char *letter, *ktp;
    size_t ll, kl;
    int people = 40, i, cfg;
    ca_init_opts o;
    sertel_err err = {0};
    static const int params[2][2] = {{65536, 3}, {19456, 2}};

    /* The ra checks uploads in a sandboxed worker started from this executable. */
    if (argc > 1 && strcmp(argv[1], SBX_WORKER_ARG) == 0)
        return sbx_worker_main(argc, argv, worker_jobs, 1, upload_job_init);
    if (argc < 2) {
        fputs("usage: bench_lifecycle DATA_DIR [--people N]\n", stderr);
        return 2;
    }
    if (argc >= 4 && strcmp(argv[2], "--people") == 0)
        people = (int)strtol(argv[3], NULL, 10);
    if (people < 1 || people > 9999) {
        fputs("bench_lifecycle: --people is 1..9999\n", stderr);
        return 2;
    }
    if (sodium_init() < 0 || mkdtemp(tmpl) == NULL)
        return 2;
    snprintf(path, sizeof(path), "%s/letter.pdf", argv[1]);
    CHECK(fs_read_file(path, 1 << 20, &letter, &ll, &err));
    snprintf(path, sizeof(path), "%s/ktp.jpg", argv[1]);
    CHECK(fs_read_file(path, 1 << 20, &ktp, &kl, &err));

    for (cfg = 0; cfg < 2; cfg++) {
        ra *r = NULL;
        ra_actor admin;
        const char *doms[] = {"contoh.go.id"};
        int64_t agency = 0;
        double t0, dt, best = 1e9, sum = 0;
        ra_signer *sg = NULL;

        snprintf(home, sizeof(home), "%s/home%d", tmpl, cfg);
        memset(&o, 0, sizeof(o));
        o.home = home;
        o.org = "Kementerian Contoh";
        o.key_type = KS_KEY_EC_P256;
        o.admin_email = "admin@contoh.go.id";
        o.admin_name = "Admin";
        o.admin_password = "benchmark password";
        CHECK(ca_init(&o, &err));
        set_argon(home, params[cfg][0], params[cfg][1]);
        CHECK(ra_open(home, &r, &err));
        ra_actor_local_admin(&admin);
        CHECK(ra_agency_add(r, &admin, "Kementerian Contoh", doms, 1, &agency, &err));
        /* Lifecycle throughput. */
        t0 = now_s();
        for (i = 1; i <= people; i++)
            lifecycle(r, agency, i, letter, ll, ktp, kl, "kata sandi benchmark");
        dt = now_s() - t0;
        printf("argon2id %d KiB / %d passes: full lifecycle (register -> issued) %6.1f people/s "
               "(%d in %.2f s)\n",
               params[cfg][0], params[cfg][1], people / dt, people, dt);
        /* One passphrase check: sign authorization end to end (Argon2id +
         * decryption + status + audited outcome). */
        for (i = 0; i < 10; i++) {
            snprintf(email, sizeof(email), "pegawai%d@contoh.go.id", 1 + i % people);
            t0 = now_s();
            CHECK(ra_sign_authorize(r, &admin, email, "kata sandi benchmark", NULL, &sg, &err));
            dt = now_s() - t0;
            ra_signer_free(sg);
            sg = NULL;
            sum += dt;
            if (dt < best)
                best = dt;
        }
        printf("argon2id %d KiB / %d passes: passphrase check %.1f ms mean, %.1f ms best "
               "(10 runs)\n",
               params[cfg][0], params[cfg][1], sum * 100.0, best * 1000.0);
        /* Argon2id alone, for reference. */
        {
            unsigned char out[32], salt[16] = {0};
            t0 = now_s();
            for (i = 0; i < 10; i++)
                if (crypto_pwhash(out, sizeof(out), "kata sandi benchmark", 20, salt,
                                  (unsigned long long)params[cfg][1], (size_t)params[cfg][0] * 1024,
                                  crypto_pwhash_ALG_ARGON2ID13) != 0)
                    return 2;
            printf("argon2id %d KiB / %d passes: crypto_pwhash alone %.1f ms\n", params[cfg][0],
                   params[cfg][1], (now_s() - t0) * 100.0);
        }
        ra_close(r);
        fflush(stdout);
    }
    fs_rmtree(tmpl);
    free(letter);
    free(ktp);
    return 0;
}
