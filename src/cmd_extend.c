/*
 * cmd_extend.c - `sertel extend`: a signed PDF (signed here or elsewhere)
 * to PAdES B-LT or B-LTA (ETSI EN 319 142-1 §5.4, §5.5): validation data
 * for every signature and time-stamp in it, then a document time-stamp;
 * run again before the last time-stamp's TSA certificate expires, it
 * renews an archive. One library call (pades_extend_to); the home answers
 * for its own certificates and stamps when no --tsa is given.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pades/pades.h"
#include "pki/pki.h"
#include "util/fs.h"

#define MAX_ALLOW 16

static const char extend_usage[] =
    "usage: sertel [--home H] extend [--level B-LT|B-LTA] [--tsa URL] [--out F]\n"
    "                  [--fetch-allow URL]... [--partial] [--pdf-password-file F] [--json]\n"
    "                  FILE.pdf\n"
    "\n"
    "Adds long-term validation data to a signed PDF, also one signed elsewhere:\n"
    "a revision with a Document Security Store holding, for every signature and\n"
    "time-stamp in it, the certificates of the signer's and the TSA's chains, an\n"
    "OCSP response or a CRL for each (and a VRI entry per signature); with\n"
    "--level B-LTA (the default) a document time-stamp after it. What the\n"
    "document's DSS holds stays. Run on an archive before its last time-stamp's\n"
    "TSA certificate expires, it renews it: the previous time-stamp's chain gets\n"
    "its validation data and a new time-stamp covers it all (after that\n"
    "certificate expired, B-LTA is refused).\n"
    "\n"
    "Validation data: the home (--home, when it exists) answers in-process for\n"
    "the certificates it issued; the others' come from the OCSP and CRL URLs\n"
    "they carry, fetched on public addresses only (a document made elsewhere\n"
    "names them) unless their origin is a --fetch-allow URL's. Issuers missing\n"
    "from the document are fetched from caIssuers URLs. A certificate without\n"
    "reachable revocation data fails the command, or with --partial is left out\n"
    "with a warning. A revoked certificate's status is embedded all the same,\n"
    "with a warning: it proves that signatures time-stamped before the\n"
    "revocation stay valid. The time-stamp comes from --tsa URL, else from the\n"
    "home's TSA.\n"
    "\n"
    "The result goes to --out F (written atomically; a device, FIFO or - for\n"
    "stdout too), else replaces FILE.pdf atomically. On any error nothing is\n"
    "written.\n";

static void print_note(void *arg, const char *msg)
{
    (void)arg;
    fprintf(stderr, "sertel: warning: %s\n", msg);
}

/* extend in into out (a path); in_place: out is in itself, extended through a copy. */
static int run(const char *in, const char *out_path, int in_place, const pades_extend_opts *po,
               sertel_err *err)
{
    fs_output *out = NULL, *cp = NULL;
    char *copy = NULL;
    int rc = fs_output_open(out_path, 0644, 0, &out, err);

    if (rc != SERTEL_OK)
        return rc;
    if (in_place) {
        /* The input is read from a copy: the output replaces it when all is done. */
        if ((rc = fs_output_temp(out, "in", &copy, err)) != SERTEL_OK ||
            (rc = fs_output_open(copy, 0600, 0, &cp, err)) != SERTEL_OK ||
            (rc = fs_output_copy_file(cp, in, err)) != SERTEL_OK)
            goto out;
        rc = fs_output_commit(cp, err);
        cp = NULL;
        if (rc != SERTEL_OK)
            goto out;
        in = copy;
    }
    rc = pades_extend_to(in, out, po, err);
    if (rc == SERTEL_OK) {
        rc = fs_output_commit(out, err);
        out = NULL;
    }
out:
    fs_output_abort(cp);
    fs_output_abort(out);
    if (copy != NULL)
        unlink(copy);
    free(copy);
    return rc;
}

int cmd_extend(const cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"level", required_argument, NULL, 'l'},
        {"tsa", required_argument, NULL, 't'},
        {"out", required_argument, NULL, 'o'},
        {"fetch-allow", required_argument, NULL, 'a'},
        {"partial", no_argument, NULL, 'p'},
        {"pdf-password-file", required_argument, NULL, 'W'},
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *allow[MAX_ALLOW], *tsa_url = NULL, *out_path = NULL, *pwfile = NULL, *in;
    pades_extend_opts po;
    pki *p = NULL;
    char *pw = NULL;
    int c, rc, as_json = 0;
    FILE *msg = stdout;
    sertel_err err = {0};

    memset(&po, 0, sizeof(po));
    po.level = PADES_B_LTA;
    po.note = print_note;
    po.fetch_allow = allow;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (pades_level_parse(optarg, &po.level) != 0 || po.level < PADES_B_LT)
                return cli_usage_error("extend: --level must be B-LT or B-LTA");
            break;
        case 't':
            tsa_url = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'a':
            if (po.n_fetch_allow == MAX_ALLOW)
                return cli_usage_error("extend: at most %d --fetch-allow URLs", MAX_ALLOW);
            allow[po.n_fetch_allow++] = optarg;
            break;
        case 'p':
            po.partial = 1;
            break;
        case 'W':
            pwfile = optarg;
            break;
        case 'J':
            as_json = 1;
            break;
        case 'h':
            fputs(extend_usage, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("extend: unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error("extend: give the signed PDF (see sertel extend --help)");
    in = argv[optind];
    if (out_path == NULL)
        out_path = in;
    if (fs_output_is_stdout(out_path)) {
        if (as_json)
            return cli_usage_error("extend: --json and --out - both use stdout: give a file");
        msg = stderr;
    }
    if (pwfile != NULL && secret_read_file(pwfile, &pw, &err) != SERTEL_OK)
        goto fail;
    po.password = pw;
    /* The home: its certificates' data in-process, and its TSA without --tsa. */
    if (access(g->home, F_OK) == 0 || tsa_url == NULL) {
        if (pki_open(g->home, &p, &err) != SERTEL_OK) {
            if (tsa_url == NULL && po.level == PADES_B_LTA)
                sertel_err_prefix(&err, "B-LTA without --tsa URL uses the home's TSA");
            goto fail;
        }
        po.home = p;
    }
    if (tsa_url != NULL) {
        po.tsa.fn = cms_tsa_http;
        po.tsa.arg = (void *)tsa_url;
    } else if (p != NULL) {
        po.tsa.fn = pki_tsa_exchange;
        po.tsa.arg = p;
    }
    rc = run(in, out_path, strcmp(out_path, in) == 0, &po, &err);
    if (rc != SERTEL_OK)
        goto fail;
    if (as_json) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "input", in, "output", out_path, "level",
                              pades_level_name(po.level));
        char *js = o != NULL ? json_dumps(o, JSON_PRESERVE_ORDER) : NULL;
        if (js != NULL)
            fprintf(msg, "%s\n", js);
        free(js);
        json_decref(o);
    } else {
        fprintf(msg, "extended %s -> %s (PAdES %s)\n", in, out_path, pades_level_name(po.level));
    }
    rc = EXIT_OK;
    goto out;
fail:
    rc = cli_fail(&err);
out:
    pki_close(p);
    secret_free(pw);
    return rc;
}
