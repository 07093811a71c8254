/*
 * cmd_audit.c - `sertel audit verify`.
 */
#include <stdio.h>
#include <string.h>

#include "ca/ca.h"
#include "cli.h"

static const char usage[] =
    "usage: sertel [--home DIR] audit verify\n"
    "\n"
    "Recompute the audit log's hash chain, check every signed checkpoint with the\n"
    "audit key, and compare with the signed head kept outside the database.\n"
    "Names the first entry that was altered, removed, reordered or cut off.\n"
    "Exit status: 0 intact, 1 tampered, 2 error.\n";

int cmd_audit(const cli_global *g, int argc, char **argv)
{
    ca_ctx *ca = NULL;
    EVP_PKEY *pub = NULL;
    audit_report rep;
    sertel_err err = {0};
    char head[4096];
    const char *hf;
    int rc;

    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (argc != 2 || strcmp(argv[1], "verify") != 0) {
        fputs(usage, stderr);
        return EXIT_ERROR;
    }
    if (ca_open(g->home, CA_OPEN_READONLY, &ca, &err) != SERTEL_OK)
        return cli_fail(&err);
    if (ca_audit_public_key(ca, &pub, &err) != SERTEL_OK) {
        rc = cli_fail(&err);
        goto out;
    }
    hf = conf_get_default(ca_get0_conf(ca), "audit", "head_file", "audit.head");
    if (hf[0] == '/')
        snprintf(head, sizeof(head), "%s", hf);
    else
        snprintf(head, sizeof(head), "%s/%s", ca_get0_home(ca), hf);
    memset(&rep, 0, sizeof(rep));
    rc = audit_verify(ca_get0_store(ca), pub, head, &rep, &err);
    if (rc == SERTEL_OK) {
        printf("audit log intact: %lld entries, %lld signed checkpoints verified\n",
               (long long)rep.entries, (long long)rep.checkpoints);
        if (rep.what[0])
            printf("%s\n", rep.what);
        rc = EXIT_OK;
    } else if (rc == SERTEL_ERR_TAMPERED) {
        printf("audit log NOT intact: %s\n", rep.what);
        fprintf(stderr, "sertel: the audit log was tampered with at entry %lld: %s\n",
                (long long)rep.first_bad_seq, rep.what);
        rc = EXIT_NEGATIVE;
    } else {
        rc = cli_fail(&err);
    }
out:
    EVP_PKEY_free(pub);
    ca_close(ca);
    return rc;
}
