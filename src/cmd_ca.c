/*
 * cmd_ca.c - `sertel ca show`, `sertel ca export` and `sertel ca rekey`.
 */
#include <getopt.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "ca/ca.h"
#include "cli.h"
#include "util/fs.h"
#include "util/hex.h"

static const char usage[] =
    "usage: sertel [--home DIR] ca show [--json]\n"
    "       sertel [--home DIR] ca export (--root | --issuing | --ocsp | --tsa) [--der]\n"
    "       sertel [--home DIR] ca rekey (--ocsp | --tsa)\n"
    "\n"
    "show    the CA's settings and its certificates (subject, serial, validity,\n"
    "        SHA-256 fingerprint)\n"
    "export  one CA certificate to stdout, PEM (default) or DER\n"
    "rekey   a new key and certificate for the OCSP responder or the TSA (before\n"
    "        the certificate expires, or after revoking it): the new certificate's\n"
    "        serial is printed; a running 'sertel serve' switches within a second;\n"
    "        the old key is destroyed, its certificate stays valid for what it signed\n";

static void time_str(const ASN1_TIME *t, char *out, size_t cap)
{
    struct tm tm;

    if (!ASN1_TIME_to_tm(t, &tm) || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, cap, "?");
}

static json_t *cert_json(const char *role, X509 *x)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    char fp[65], serial[41], nb[32], na[32], *subj, *iss;
    json_t *o;

    X509_digest(x, EVP_sha256(), md, &mdlen);
    hex_encode(md, mdlen, fp);
    if (ca_serial_hex(x, serial, sizeof(serial)) != SERTEL_OK)
        snprintf(serial, sizeof(serial), "?");
    time_str(X509_get0_notBefore(x), nb, sizeof(nb));
    time_str(X509_get0_notAfter(x), na, sizeof(na));
    subj = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
    iss = X509_NAME_oneline(X509_get_issuer_name(x), NULL, 0);
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "role", role, "subject", subj ? subj : "?",
                  "issuer", iss ? iss : "?", "serial", serial, "not_before", nb, "not_after", na,
                  "sha256", fp);
    OPENSSL_free(subj);
    OPENSSL_free(iss);
    return o;
}

static int ca_show(ca_ctx *ca, int as_json)
{
    static const char *const roles[] = {"root", "issuing", "ocsp", "tsa"};
    const conf *c = ca_get0_conf(ca);
    json_t *root = json_object(), *arr = json_array();
    sertel_err err = {0};
    size_t i;
    int rc = EXIT_OK;

    json_object_set_new(root, "home", json_string(ca_get0_home(ca)));
    json_object_set_new(root, "organisation", json_string(conf_get_default(c, "ca", "org", "")));
    json_object_set_new(root, "base_url", json_string(conf_get_default(c, "ca", "base_url", "")));
    json_object_set_new(root, "key_type", json_string(conf_get_default(c, "ca", "key_type", "")));
    json_object_set_new(root, "keystore",
                        json_string(conf_get_default(c, "keystore", "backend", "software")));
    json_object_set_new(root, "store", json_string(store_backend(ca_get0_store(ca))));
    for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        X509 *x = NULL;
        if (ca_authority_cert(ca, roles[i], &x, &err) != SERTEL_OK) {
            rc = cli_fail(&err);
            goto out;
        }
        {
            json_t *cj = cert_json(roles[i], x);
            char label[128];
            if (cj != NULL &&
                ca_authority_label(ca, roles[i], label, sizeof(label), &err) == SERTEL_OK)
                json_object_set_new(cj, "key_label", json_string(label));
            sertel_err_clear(&err);
            json_array_append_new(arr, cj);
        }
        X509_free(x);
    }
    json_object_set_new(root, "certificates", arr);
    arr = NULL;
    if (as_json) {
        char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s)
            puts(s);
        free(s);
    } else {
        json_t *certs = json_object_get(root, "certificates"), *v;
        printf("home:          %s\n", ca_get0_home(ca));
        printf("organisation:  %s\n", json_string_value(json_object_get(root, "organisation")));
        printf("base URL:      %s\n", json_string_value(json_object_get(root, "base_url")));
        printf("key type:      %s\n", json_string_value(json_object_get(root, "key_type")));
        printf("keystore:      %s\n", json_string_value(json_object_get(root, "keystore")));
        printf("store:         %s\n", json_string_value(json_object_get(root, "store")));
        json_array_foreach(certs, i, v)
        {
            printf("\n%s certificate\n", json_string_value(json_object_get(v, "role")));
            printf("  subject:     %s\n", json_string_value(json_object_get(v, "subject")));
            printf("  issuer:      %s\n", json_string_value(json_object_get(v, "issuer")));
            printf("  serial:      %s\n", json_string_value(json_object_get(v, "serial")));
            printf("  valid:       %s .. %s\n", json_string_value(json_object_get(v, "not_before")),
                   json_string_value(json_object_get(v, "not_after")));
            printf("  SHA-256:     %s\n", json_string_value(json_object_get(v, "sha256")));
            if (json_object_get(v, "key_label") != NULL)
                printf("  key:         %s\n", json_string_value(json_object_get(v, "key_label")));
        }
    }
out:
    json_decref(arr);
    json_decref(root);
    return rc;
}

int cmd_ca(const cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},    {"root", no_argument, NULL, 'r'},
        {"issuing", no_argument, NULL, 'i'}, {"ocsp", no_argument, NULL, 'o'},
        {"tsa", no_argument, NULL, 't'},     {"der", no_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},    {NULL, 0, NULL, 0},
    };
    const char *sub, *which = NULL;
    int c, as_json = 0, der = 0, rc, nwhich = 0;
    ca_ctx *ca = NULL;
    sertel_err err = {0};

    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_ERROR : EXIT_OK;
    }
    sub = argv[1];
    optind = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            as_json = 1;
            break;
        case 'r':
            which = "root";
            nwhich++;
            break;
        case 'i':
            which = "issuing";
            nwhich++;
            break;
        case 'o':
            which = "ocsp";
            nwhich++;
            break;
        case 't':
            which = "tsa";
            nwhich++;
            break;
        case 'd':
            der = 1;
            break;
        default:
            return cli_usage_error("ca: unknown option %s", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage_error("ca: unexpected argument '%s'", argv[optind]);
    if (nwhich > 1)
        return cli_usage_error("ca %s: name one certificate at a time", sub);
    if (strcmp(sub, "show") != 0 && strcmp(sub, "export") != 0 && strcmp(sub, "rekey") != 0) {
        fputs(usage, stderr);
        return cli_usage_error("ca: unknown subcommand '%s'", sub);
    }
    if (strcmp(sub, "rekey") == 0) {
        char serial[41];
        if (which == NULL || (strcmp(which, "ocsp") != 0 && strcmp(which, "tsa") != 0) || as_json ||
            der)
            return cli_usage_error("ca rekey: say which authority: --ocsp or --tsa");
        if (ca_open(g->home, 0, &ca, &err) != SERTEL_OK)
            return cli_fail(&err);
        rc = ca_rekey(ca, which, "local administrator", serial, &err) == SERTEL_OK ? EXIT_OK
                                                                                   : cli_fail(&err);
        if (rc == EXIT_OK)
            printf("%s\n", serial);
        ca_close(ca);
        return rc;
    }
    if (strcmp(sub, "export") == 0 && which == NULL)
        return cli_usage_error("ca export: say which certificate: --root, --issuing, --ocsp or "
                               "--tsa");
    if (ca_open(g->home, CA_OPEN_READONLY, &ca, &err) != SERTEL_OK)
        return cli_fail(&err);
    if (strcmp(sub, "show") == 0) {
        rc = ca_show(ca, as_json);
    } else {
        X509 *x = NULL;
        rc = EXIT_OK;
        if (ca_authority_cert(ca, which, &x, &err) != SERTEL_OK) {
            rc = cli_fail(&err);
        } else if (der ? i2d_X509_fp(stdout, x) != 1 : PEM_write_X509(stdout, x) != 1) {
            rc = cli_usage_error("ca export: cannot write to stdout");
        }
        X509_free(x);
    }
    ca_close(ca);
    if (fflush(stdout) != 0)
        return cli_usage_error("cannot write to stdout");
    return rc;
}
