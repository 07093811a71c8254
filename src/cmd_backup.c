/*
 * cmd_backup.c - `sertel backup`, `sertel restore` and `sertel store check`:
 * options in, one library call (ca_backup, ca_restore, store_check), the
 * result out. The archive format is described in lib/ca/backup.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca/ca.h"
#include "cli.h"
#include "util/fs.h"

static const char backup_usage[] =
    "usage: sertel [--home DIR] backup --out FILE [--password-file F] [--actor WHO]\n"
    "\n"
    "Write the whole home into one encrypted archive FILE (which must not exist):\n"
    "a consistent snapshot of the database taken online (serve and other commands\n"
    "may run meanwhile), the key files, private/ (keystore secret, server secret,\n"
    "PKCS#11 PIN), sertel.conf, audit.head, certs/ and uploads/. Not included: the\n"
    "mail outbox and, for a PKCS#11 home, the token's keys (back the token up with\n"
    "the HSM's own tools). Encrypted with XChaCha20-Poly1305 (libsodium\n"
    "secretstream) under a key from Argon2id of the password. Audited as\n"
    "backup.created with the archive's SHA-256.\n"
    "\n"
    "  --out FILE           the archive to create\n"
    "  --password-file F    first line: the backup password (>= 12 characters);\n"
    "                       without it the password is asked on the terminal\n"
    "  --actor WHO          who makes the backup, for the audit log (default system)\n";

static const char restore_usage[] =
    "usage: sertel restore --from FILE --home NEWDIR [--password-file F]\n"
    "\n"
    "Restore a backup into a new home NEWDIR (which must not exist or be empty):\n"
    "written beside it and renamed into place only after every database page was\n"
    "checked, the audit chain verified and home.restored audited there. A wrong\n"
    "password, a damaged or truncated archive, or an existing home: refused,\n"
    "nothing written. A PKCS#11 home needs its token (restored with the HSM's\n"
    "tools) attached.\n"
    "\n"
    "  --from FILE          the archive made by 'sertel backup'\n"
    "  --home NEWDIR        the home to create\n"
    "  --password-file F    first line: the backup password (else asked)\n";

static const char store_usage[] =
    "usage: sertel [--home DIR] store check [--full]\n"
    "\n"
    "Look for damage in the home's database: the file header, the free-page list,\n"
    "the schema and every table's and index's interior pages, small tables in full\n"
    "(milliseconds, also run before writing). --full reads every page (PRAGMA\n"
    "quick_check; seconds per GB): run it from cron. Damage found marks the\n"
    "database (sertel.db-damaged) and from then on sertel refuses to write to it.\n"
    "Exit status: 0 no damage, 1 damaged, 2 error.\n";

/* The password from a file, or asked on the terminal (twice when confirm). */
static char *get_password(const char *file, int confirm, sertel_err *err)
{
    char *pw = NULL, *pw2 = NULL;

    if (file != NULL) {
        if (secret_read_file(file, &pw, err) != SERTEL_OK)
            return NULL;
        return pw;
    }
    if (!isatty(STDIN_FILENO)) {
        sertel_err_set(err, SERTEL_ERR_INVALID,
                       "no --password-file and no terminal to ask the backup password on");
        return NULL;
    }
    pw = cli_prompt_secret(confirm ? "Backup password (at least 12 characters): "
                                   : "Backup password: ");
    if (confirm && pw != NULL) {
        pw2 = cli_prompt_secret("Repeat it: ");
        if (pw2 == NULL || strcmp(pw, pw2) != 0) {
            sertel_err_set(err, SERTEL_ERR_INVALID, "the passwords do not match");
            secret_free(pw);
            pw = NULL;
        }
        secret_free(pw2);
    }
    if (pw == NULL && err->msg[0] == '\0')
        sertel_err_set(err, SERTEL_ERR_INVALID, "no password given");
    return pw;
}

int cmd_backup(const cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"password-file", required_argument, NULL, 'p'},
        {"actor", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *pwfile = NULL, *actor = NULL;
    char *pw = NULL;
    ca_ctx *ca = NULL;
    ca_backup_info info;
    sertel_err err = {0};
    int c, rc = EXIT_OK;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'p':
            pwfile = optarg;
            break;
        case 'a':
            actor = optarg;
            break;
        case 'h':
            fputs(backup_usage, stdout);
            return EXIT_OK;
        default:
            fputs(backup_usage, stderr);
            return EXIT_ERROR;
        }
    }
    if (out == NULL || optind != argc) {
        fputs(backup_usage, stderr);
        return cli_usage_error("backup: give --out FILE (and nothing else)");
    }
    if ((pw = get_password(pwfile, 1, &err)) == NULL)
        return cli_fail(&err);
    if (ca_open(g->home, 0, &ca, &err) != SERTEL_OK ||
        ca_backup(ca, out, pw, actor, &info, &err) != SERTEL_OK) {
        rc = cli_fail(&err);
        goto out;
    }
    printf("backup written: %s\n", out);
    printf("  sha256:  %s\n", info.sha256);
    printf("  size:    %lld bytes, %lld files, %lld audit entries\n", (long long)info.bytes,
           (long long)info.files, (long long)info.audit_entries);
    if (info.pkcs11)
        printf("  NOTE: the CA's keys are in the PKCS#11 token '%s' and are NOT in this archive:\n"
               "        back up the token with the HSM's own tools\n",
               info.token);
    if (info.outside[0])
        printf("  NOTE: not in the archive (outside the home, back them up separately): %s\n",
               info.outside);
out:
    ca_close(ca);
    secret_free(pw);
    return rc;
}

int cmd_restore(const cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'},
        {"home", required_argument, NULL, 'H'},
        {"password-file", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *from = NULL, *home = NULL, *pwfile = NULL;
    char *pw = NULL, when[32];
    ca_restore_info info;
    sertel_err err = {0};
    struct tm tm;
    time_t t;
    int c, rc = EXIT_OK;

    (void)g; /* the new home is named by the command's own --home */
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            from = optarg;
            break;
        case 'H':
            home = optarg;
            break;
        case 'p':
            pwfile = optarg;
            break;
        case 'h':
            fputs(restore_usage, stdout);
            return EXIT_OK;
        default:
            fputs(restore_usage, stderr);
            return EXIT_ERROR;
        }
    }
    if (from == NULL || home == NULL || *home == '\0' || optind != argc) {
        fputs(restore_usage, stderr);
        return cli_usage_error("restore: give --from FILE and --home NEWDIR");
    }
    if ((pw = get_password(pwfile, 0, &err)) == NULL)
        return cli_fail(&err);
    if (ca_restore(from, home, pw, &info, &err) != SERTEL_OK) {
        rc = cli_fail(&err);
        goto out;
    }
    t = (time_t)info.created_at;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm);
    printf("restored %s into %s\n", from, home);
    printf("  backup of: %s, made %s\n", info.source, when);
    printf("  files:     %lld; database checked page by page\n", (long long)info.files);
    printf("  audit log: intact, %lld entries verified; home.restored recorded\n",
           (long long)info.audit_entries);
    if (info.pkcs11)
        printf("  NOTE: the keys are in the PKCS#11 token '%s' (not in the archive)\n", info.token);
out:
    secret_free(pw);
    return rc;
}

int cmd_store(const cli_global *g, int argc, char **argv)
{
    store_check_stats st;
    sertel_err err = {0};
    int full = 0, rc, i;

    if (cli_wants_help(argc, argv)) {
        fputs(store_usage, stdout);
        return EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "check") != 0) {
        fputs(store_usage, stderr);
        return EXIT_ERROR;
    }
    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--full") == 0) {
            full = 1;
        } else {
            fputs(store_usage, stderr);
            return cli_usage_error("store check: unknown option %s", argv[i]);
        }
    }
    rc = ca_store_check(g->home, full ? STORE_CHECK_FULL : 0, &st, &err);
    if (rc == SERTEL_OK) {
        printf("no damage found: %lld of %lld pages read, %lld tables and indexes, %lld tables "
               "in full\n",
               (long long)st.pages_read, (long long)st.pages, (long long)st.btrees,
               (long long)(full ? st.btrees : st.tables_full));
        return EXIT_OK;
    }
    if (rc == SERTEL_ERR_STORE) {
        cli_fail(&err);
        return EXIT_NEGATIVE;
    }
    return cli_fail(&err);
}
