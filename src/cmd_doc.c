/*
 * cmd_doc.c - `sertel doc show|find|list`: the register of signed
 * documents (lib/ra/docs.c), for an operator who must say whether this
 * home signed a given file, for whom and when.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ra/ra.h"
#include "util/fs.h"
#include "util/hex.h"

static const char usage[] =
    "usage: sertel [--home DIR] doc show ID [--json]\n"
    "       sertel [--home DIR] doc find (FILE | --sha256 HEX) [--json]\n"
    "       sertel [--home DIR] doc list [--email E] [--json]\n"
    "\n"
    "The register of documents owners signed with keys this home holds\n"
    "(sertel sign --email): id, owner, certificate serial, time (UTC), level and\n"
    "the SHA-256 of the signed file.\n"
    "show  the document with that id (as 'sign' printed it)\n"
    "find  the documents whose signed file is exactly FILE (by its SHA-256), or\n"
    "      has that SHA-256: did this home sign this very file?\n"
    "list  every document, or an owner's, oldest first\n"
    "Exit status: 0 found, 1 nothing found, 2 error.\n";

typedef struct out {
    int json;
    json_t *arr;
} out;

static int print_doc(void *arg, const ra_doc *d)
{
    out *o = arg;
    char when[32];
    time_t t = (time_t)d->signed_at;
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(when, sizeof(when), "?");
    if (o->json) {
        json_array_append_new(o->arr,
                              json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", d->id, "owner",
                                        d->email, "cert_serial", d->cert_serial, "signed_at", when,
                                        "level", d->level, "sha256", d->sha256));
    } else {
        printf("%s  %s  %-8s  %s  certificate %s  sha256 %s\n", d->id, when, d->level, d->email,
               d->cert_serial, d->sha256);
    }
    return SERTEL_OK;
}

int cmd_doc(const cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"email", required_argument, NULL, 'e'},
        {"sha256", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *sub, *email = NULL, *arg = NULL, *hash = NULL;
    unsigned char md[32];
    out o = {0};
    ra *r = NULL;
    ra_actor by;
    size_t n = 0;
    sertel_err err = {0};
    int c, rc;

    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_ERROR : EXIT_OK;
    }
    sub = argv[1];
    optind = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'j')
            o.json = 1;
        else if (c == 'e')
            email = optarg;
        else if (c == 's')
            hash = optarg;
        else
            return cli_usage_error("doc: unknown or incomplete option %s", argv[optind - 1]);
    }
    if (strcmp(sub, "find") == 0 && hash != NULL) {
        size_t n2 = 0;
        if (optind != argc || email != NULL)
            return cli_usage_error("doc find: give a file or --sha256 HEX, not both");
        if (strlen(hash) != 64 || hex_decode(hash, md, sizeof(md), &n2) != 0 || n2 != 32)
            return cli_usage_error("doc find: --sha256 needs 64 hex digits");
    } else if (strcmp(sub, "show") == 0 || strcmp(sub, "find") == 0) {
        if (optind + 1 != argc || email != NULL || hash != NULL)
            return cli_usage_error("doc %s: give exactly one %s", sub,
                                   sub[0] == 's' ? "document id" : "file");
        arg = argv[optind];
    } else if (strcmp(sub, "list") == 0) {
        if (optind != argc || hash != NULL)
            return cli_usage_error("doc list: unexpected argument '%s'", argv[optind]);
    } else {
        fputs(usage, stderr);
        return cli_usage_error("doc: unknown subcommand '%s'", sub);
    }
    if (sub[0] == 's' && (strlen(arg) != 32 || strspn(arg, "0123456789abcdef") != 32))
        return cli_usage_error("doc show: '%.80s' is not a document id (32 hex digits)", arg);
    if (sub[0] == 'f' && hash == NULL && fs_sha256_file(arg, md, &err) != SERTEL_OK)
        return cli_fail(&err);
    if (ra_open(g->home, &r, &err) != SERTEL_OK)
        return cli_fail(&err);
    o.arr = json_array();
    ra_actor_local_admin(&by);
    rc = ra_doc_query(r, &by, sub[0] == 's' ? arg : NULL, sub[0] == 'f' ? md : NULL, email,
                      print_doc, &o, &n, &err);
    ra_close(r);
    if (rc != SERTEL_OK) {
        json_decref(o.arr);
        return cli_fail(&err);
    }
    if (o.json) {
        char *s = json_dumps(o.arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s != NULL)
            puts(s);
        free(s);
    }
    json_decref(o.arr);
    if (n == 0 && !o.json)
        fprintf(stderr, "sertel: %s\n",
                sub[0] == 's'   ? "no document with that id in this home's register"
                : sub[0] == 'f' ? "this file is not in the register: this home did not sign "
                                  "exactly these bytes (it may have been changed after signing; "
                                  "'sertel verify' tells)"
                                : "no documents in the register");
    return n > 0 ? EXIT_OK : EXIT_NEGATIVE;
}
