/*
 * cmd_cert.c - `sertel cert issue|list|show`.
 */
#include <getopt.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca/ca.h"
#include "cli.h"
#include "util/fs.h"

#define CSR_FILE_MAX (64 * 1024)

static const char usage[] =
    "usage: sertel [--home DIR] cert issue --csr FILE --profile NAME\n"
    "       sertel [--home DIR] cert list [--json]\n"
    "       sertel [--home DIR] cert show SERIAL [--json] [--pem]\n"
    "       sertel [--home DIR] cert revoke SERIAL --reason REASON [--by EMAIL]\n"
    "\n"
    "issue  sign a PKCS#10 request (PEM or DER) under a profile from sertel.conf\n"
    "       (e.g. document-signing); the certificate is recorded durably, audited,\n"
    "       then printed as PEM on stdout\n"
    "list   every certificate the CA issued, newest first\n"
    "show   one certificate by serial (hex, as 'cert list' prints it)\n"
    "revoke revoke (or suspend with certificateHold) a certificate; its key, when\n"
    "       sertel holds it, is destroyed. Without --by: the local administrator\n";

static void fmt_time(int64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, cap, "?");
}

static json_t *record_json(const ca_cert_record *r)
{
    char nb[32], na[32], ra[32];
    json_t *o;

    fmt_time(r->not_before, nb, sizeof(nb));
    fmt_time(r->not_after, na, sizeof(na));
    o = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:s}", "serial", r->serial, "status",
                  r->status, "profile", r->profile, "subject", r->subject, "email", r->email,
                  "issuer", r->issuer, "not_before", nb, "not_after", na, "sha256", r->sha256);
    if (o != NULL && r->revoked_at) {
        fmt_time(r->revoked_at, ra, sizeof(ra));
        json_object_set_new(o, "revoked_at", json_string(ra));
        json_object_set_new(o, "revocation_reason", json_integer(r->revocation_reason));
    }
    return o;
}

struct list_state {
    int as_json;
    json_t *arr;
    long count;
};

static int list_one(const ca_cert_record *r, void *arg)
{
    struct list_state *ls = arg;
    char na[32];

    ls->count++;
    if (ls->as_json) {
        json_array_append_new(ls->arr, record_json(r));
        return 0;
    }
    fmt_time(r->not_after, na, sizeof(na));
    printf("%-34s %-8s %-16s %s  %s\n", r->serial, r->status, r->profile, na, r->subject);
    return 0;
}

static int cert_issue(const cli_global *g, const char *csr_path, const char *profile)
{
    unsigned char *csr = NULL;
    size_t len = 0;
    ca_ctx *ca = NULL;
    X509 *x = NULL;
    sertel_err err = {0};
    int rc;

    if (fs_read_file(csr_path, CSR_FILE_MAX, &csr, &len, &err) != SERTEL_OK) {
        sertel_err_prefix(&err, "cannot read the CSR");
        return cli_fail(&err);
    }
    if (ca_open(g->home, 0, &ca, &err) != SERTEL_OK) {
        rc = cli_fail(&err);
        goto out;
    }
    if (ca_issue_csr(ca, csr, len, profile, "admin (cli)", &x, &err) != SERTEL_OK) {
        sertel_err_prefix(&err, "%s", csr_path);
        rc = cli_fail(&err);
        goto out;
    }
    if (PEM_write_X509(stdout, x) != 1 || fflush(stdout) != 0) {
        /* The certificate is recorded; say so, so it can be fetched with show. */
        char serial[41];
        if (ca_serial_hex(x, serial, sizeof(serial)) != SERTEL_OK)
            snprintf(serial, sizeof(serial), "?");
        rc = cli_usage_error("certificate %s was issued and recorded, but writing it to stdout "
                             "failed: get it with 'sertel cert show %s --pem'",
                             serial, serial);
        goto out;
    }
    rc = EXIT_OK;
out:
    X509_free(x);
    ca_close(ca);
    free(csr);
    return rc;
}

int cmd_cert(const cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"csr", required_argument, NULL, 'c'}, {"profile", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},      {"pem", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
    };
    const char *sub, *csr = NULL, *profile = NULL, *serial = NULL;
    int c, as_json = 0, pem = 0, rc;
    ca_ctx *ca = NULL;
    sertel_err err = {0};

    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_ERROR : EXIT_OK;
    }
    sub = argv[1];
    if (strcmp(sub, "revoke") == 0)
        return cmd_cert_revoke(g, argc, argv);
    optind = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            csr = optarg;
            break;
        case 'p':
            profile = optarg;
            break;
        case 'j':
            as_json = 1;
            break;
        case 'P':
            pem = 1;
            break;
        default:
            return cli_usage_error("cert: unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (strcmp(sub, "issue") == 0) {
        if (optind != argc)
            return cli_usage_error("cert issue: unexpected argument '%s'", argv[optind]);
        if (csr == NULL || profile == NULL)
            return cli_usage_error("cert issue: give --csr FILE and --profile NAME (e.g. "
                                   "document-signing)");
        return cert_issue(g, csr, profile);
    }
    if (strcmp(sub, "list") == 0) {
        struct list_state ls = {as_json, NULL, 0};
        if (optind != argc)
            return cli_usage_error("cert list: unexpected argument '%s'", argv[optind]);
        if (ca_open(g->home, CA_OPEN_READONLY, &ca, &err) != SERTEL_OK)
            return cli_fail(&err);
        ls.arr = json_array();
        if (!as_json)
            printf("%-34s %-8s %-16s %-20s  %s\n", "SERIAL", "STATUS", "PROFILE", "NOT AFTER",
                   "SUBJECT");
        if (ca_cert_list(ca, list_one, &ls, &err) != SERTEL_OK) {
            rc = cli_fail(&err);
        } else {
            if (as_json) {
                char *s = json_dumps(ls.arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                if (s)
                    puts(s);
                free(s);
            }
            rc = EXIT_OK;
        }
        json_decref(ls.arr);
        ca_close(ca);
        return rc;
    }
    if (strcmp(sub, "show") == 0) {
        ca_cert_record r;
        if (optind + 1 != argc)
            return cli_usage_error("cert show: give exactly one serial number");
        serial = argv[optind];
        if (ca_open(g->home, CA_OPEN_READONLY, &ca, &err) != SERTEL_OK)
            return cli_fail(&err);
        if (ca_cert_get(ca, serial, &r, &err) != SERTEL_OK) {
            rc = cli_fail(&err);
            ca_close(ca);
            return rc;
        }
        rc = EXIT_OK;
        if (as_json) {
            json_t *o = record_json(&r);
            char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            if (s)
                puts(s);
            free(s);
            json_decref(o);
        } else {
            const unsigned char *p = r.der;
            X509 *x = d2i_X509(NULL, &p, (long)r.der_len);
            if (x == NULL) {
                rc = cli_usage_error("certificate %s is damaged in the database", r.serial);
            } else if (pem) {
                PEM_write_X509(stdout, x);
            } else {
                char nb[32], na[32];
                fmt_time(r.not_before, nb, sizeof(nb));
                fmt_time(r.not_after, na, sizeof(na));
                printf("serial:   %s\nstatus:   %s\nprofile:  %s\nsubject:  %s\nemail:    %s\n"
                       "issuer:   %s CA\nvalid:    %s .. %s\nSHA-256:  %s\n\n",
                       r.serial, r.status, r.profile, r.subject, r.email ? r.email : "-", r.issuer,
                       nb, na, r.sha256);
                X509_print_fp(stdout, x);
            }
            X509_free(x);
        }
        ca_cert_record_clear(&r);
        ca_close(ca);
        return rc;
    }
    fputs(usage, stderr);
    return cli_usage_error("cert: unknown subcommand '%s'", sub);
}
