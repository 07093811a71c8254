/*
 * main.c - the `sertel` command: global options and command dispatch.
 */
#include <locale.h>
#include <openssl/crypto.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sandbox/sandbox.h"
#include "util/fs.h"

static const char usage_head[] =
    "usage: sertel [--home DIR] COMMAND [OPTIONS]\n"
    "\n"
    "sertel is a certificate authority and electronic-signature service.\n"
    "\n"
    "The CA:\n"
    "  init                 create a new CA home (root, issuing CA, OCSP, TSA, audit key, admin)\n"
    "  ca show              print the CA certificates and settings\n"
    "  ca export            print the root, issuing, OCSP or TSA certificate\n"
    "  ca rekey             a new key and certificate for the OCSP responder or the TSA\n"
    "  cert issue           issue a certificate for a PKCS#10 request\n"
    "  cert list            list issued certificates\n"
    "  cert show            print one certificate and its record\n"
    "  cert revoke          revoke or suspend a certificate (verifier or admin)\n"
    "  crl                  issue and write a CRL (--root: the root ceremony)\n"
    "  timestamp            time-stamp a file (RFC 3161)\n"
    "  serve                run the HTTP(S) services: OCSP, time-stamps, CRLs, CA certificates,\n"
    "                       the API\n"
    "  audit verify         check the audit log's hash chain and signed checkpoints\n"
    "  audit head           print the audit log's signed head, to keep off the machine\n"
    "  audit key            print the audit key's public key (checks heads with openssl)\n"
    "  audit list           the audit log's entries, oldest first\n"
    "  backup               the whole home in one encrypted archive\n"
    "  restore              a new home from a backup\n"
    "  store check          look for damage in the database\n"
    "\n"
    "Documents:\n"
    "  sign                 sign a PDF (PAdES B-B to B-LTA) or any file (detached CAdES)\n"
    "  extend               add validation data and a document time-stamp to a signed\n"
    "                       PDF (B-LT, B-LTA), or renew an archive's time-stamp\n"
    "  verify               validate the signatures of a PDF or a detached .p7s\n"
    "  doc show|find|list   the register of documents owners signed here\n"
    "\n"
    "Registration and the certificate's life (the agency, its people, their\n"
    "applications, passphrases and second factors):\n";

static const char usage_tail[] =
    "\n"
    "Global options:\n"
    "  --home DIR     the CA home (default: $SERTEL_HOME, else ./sertel-home)\n"
    "  -h, --help     this help; 'sertel COMMAND --help' for a command\n"
    "  --version      print the version\n"
    "\n"
    "Exit status: 0 success, 1 negative answer (e.g. tampered), 2 error.\n";

static void print_usage(FILE *f)
{
    fputs(usage_head, f);
    cli_ra_summary(f);
    fputs(usage_tail, f);
}

int cli_fail(const sertel_err *err)
{
    fprintf(stderr, "sertel: %s\n", err->msg[0] ? err->msg : sertel_rc_name(err->code));
    return EXIT_ERROR;
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("sertel: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_ERROR;
}

int cli_wants_help(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    cli_global g = {0};
    int i = 1;

    /* The sandboxed worker that sertel starts for untrusted input (cmd_worker.c). */
    if (argc > 1 && strcmp(argv[1], SBX_WORKER_ARG) == 0)
        return cli_worker_main(argc, argv);
    /*
     * The user's locale, as for any command-line program. Nothing sertel
     * writes into a file depends on it: numbers in PDFs are formatted and
     * parsed in the "C" locale (util/num.h), times are numeric.
     */
    setlocale(LC_ALL, "");
    if (sodium_init() < 0) {
        fputs("sertel: libsodium failed to initialise\n", stderr);
        return EXIT_ERROR;
    }
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "--home") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0')
                return cli_usage_error("--home needs a directory");
            g.home = argv[i + 1];
            i += 2;
        } else if (strncmp(argv[i], "--home=", 7) == 0) {
            g.home = argv[i] + 7;
            i++;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            print_usage(stdout);
            return EXIT_OK;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("sertel 0.1.0 (%s)\n", OpenSSL_version(OPENSSL_VERSION));
            return EXIT_OK;
        } else {
            print_usage(stderr);
            return cli_usage_error("unknown option %s", argv[i]);
        }
    }
    if (g.home == NULL || *g.home == '\0')
        g.home = getenv("SERTEL_HOME");
    if (g.home == NULL || *g.home == '\0')
        g.home = "./sertel-home";
    if (i >= argc) {
        print_usage(stderr);
        return EXIT_ERROR;
    }
    argc -= i;
    argv += i;
    if (strcmp(argv[0], "init") == 0)
        return cmd_init(&g, argc, argv);
    if (strcmp(argv[0], "ca") == 0)
        return cmd_ca(&g, argc, argv);
    if (strcmp(argv[0], "cert") == 0)
        return cmd_cert(&g, argc, argv);
    if (strcmp(argv[0], "audit") == 0)
        return cmd_audit(&g, argc, argv);
    if (strcmp(argv[0], "crl") == 0)
        return cmd_crl(&g, argc, argv);
    if (strcmp(argv[0], "timestamp") == 0)
        return cmd_timestamp(&g, argc, argv);
    if (strcmp(argv[0], "sign") == 0)
        return cmd_sign(&g, argc, argv);
    if (strcmp(argv[0], "extend") == 0)
        return cmd_extend(&g, argc, argv);
    if (strcmp(argv[0], "verify") == 0)
        return cmd_verify(&g, argc, argv);
    if (strcmp(argv[0], "serve") == 0)
        return cmd_serve(&g, argc, argv);
    if (strcmp(argv[0], "doc") == 0)
        return cmd_doc(&g, argc, argv);
    if (strcmp(argv[0], "backup") == 0)
        return cmd_backup(&g, argc, argv);
    if (strcmp(argv[0], "restore") == 0)
        return cmd_restore(&g, argc, argv);
    if (strcmp(argv[0], "store") == 0)
        return cmd_store(&g, argc, argv);
    {
        int rc = cmd_ra(&g, argc, argv);
        if (rc >= 0)
            return rc;
    }
    print_usage(stderr);
    return cli_usage_error("unknown command '%s'", argv[0]);
}
