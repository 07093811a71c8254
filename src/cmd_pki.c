/*
 * cmd_pki.c - `sertel crl` and `sertel timestamp`: the CRL and the
 * time-stamping authority without the HTTP server.
 */
#include <fcntl.h>
#include <getopt.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca/ca.h"
#include "cli.h"
#include "cms/cms.h"
#include "pki/pki.h"
#include "util/fs.h"

static const char crl_usage[] =
    "usage: sertel [--home DIR] crl [--root | --issuer issuing|root] [--out FILE|-] [--pem]\n"
    "\n"
    "Issue a new full CRL (RFC 5280) for the issuing CA (default) or, with --root,\n"
    "for the root, and write it (DER, or PEM with --pem) to FILE or stdout. The CRL\n"
    "number grows with every CRL. `sertel serve` reissues the issuing CA's CRL at\n"
    "half-life and on revocation, but never signs a root CRL: --root is the root\n"
    "ceremony (the root key must be available here), its CRL valid for [crl]\n"
    "root_next_update_days (365); a running server publishes it at once.\n"
    "FILE is replaced atomically; a device or FIFO is written into; a symbolic\n"
    "link or directory is refused.\n";

static const char ts_usage[] =
    "usage: sertel [--home DIR] timestamp FILE [--out TOKEN.tsr] [--sha384 | --sha512]\n"
    "\n"
    "Time-stamp FILE with this CA's time-stamping authority (RFC 3161) without the\n"
    "HTTP server: prints the token's time, serial and policy, and with --out writes\n"
    "the TimeStampResp (DER), checkable with `openssl ts -verify` (--out - writes it\n"
    "to stdout and the summary to stderr).\n";

/* Outputs (--out FILE) follow fs_output_open: a file atomically, a device or FIFO directly,
 * - (or no --out for crl) stdout; never through a link. Where a command's own messages go: stderr
 * when stdout carries the output. */
static FILE *msg_stream(const char *out)
{
    return out != NULL && fs_output_is_stdout(out) ? stderr : stdout;
}

int cmd_crl(const cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"issuer", required_argument, NULL, 'i'}, {"root", no_argument, NULL, 'r'},
        {"out", required_argument, NULL, 'o'},    {"pem", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *issuer = "issuing", *out = NULL;
    int c, pem = 0, rc = EXIT_ERROR;
    ca_ctx *ca = NULL;
    fs_output *o = NULL;
    unsigned char *der = NULL;
    size_t len = 0;
    ca_crl_info info;
    X509_CRL *crl = NULL;
    BIO *b = NULL;
    sertel_err err = {0};

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            issuer = optarg;
            break;
        case 'r':
            issuer = "root";
            break;
        case 'o':
            out = optarg;
            break;
        case 'p':
            pem = 1;
            break;
        case 'h':
            fputs(crl_usage, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("crl: unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage_error("crl: unexpected argument '%s'", argv[optind]);
    if (strcmp(issuer, "issuing") != 0 && strcmp(issuer, "root") != 0)
        return cli_usage_error("crl: --issuer is issuing or root, not '%s'", issuer);
    /* The output first: a refused one (a link, a directory) costs no CRL number. */
    if (fs_output_open(out != NULL ? out : "-", 0644, 0, &o, &err) != SERTEL_OK ||
        ca_open(g->home, 0, &ca, &err) != SERTEL_OK ||
        ca_crl_generate(ca, issuer, &err) != SERTEL_OK ||
        ca_crl_current(ca, issuer, &der, &len, &info, &err) != SERTEL_OK)
        goto fail;
    if (pem) {
        const unsigned char *p = der;
        BUF_MEM *bm;
        crl = d2i_X509_CRL(NULL, &p, (long)len);
        b = BIO_new(BIO_s_mem());
        if (crl == NULL || b == NULL || !PEM_write_bio_X509_CRL(b, crl)) {
            rc = cli_usage_error("crl: cannot encode the CRL as PEM");
            goto done;
        }
        BIO_get_mem_ptr(b, &bm);
        if (fs_output_write(o, bm->data, bm->length, &err) != SERTEL_OK)
            goto fail;
    } else if (fs_output_write(o, der, len, &err) != SERTEL_OK) {
        goto fail;
    }
    rc = fs_output_commit(o, &err);
    o = NULL;
    if (rc != SERTEL_OK)
        goto fail;
    rc = EXIT_OK;
    if (out != NULL) {
        char when[32];
        time_t nu = (time_t)info.next_update;
        struct tm tm;
        if (gmtime_r(&nu, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%d", &tm) == 0)
            snprintf(when, sizeof(when), "?");
        fprintf(msg_stream(out), "CRL number %lld for the %s CA written to %s (next update %s%s)\n",
                (long long)info.number, issuer, fs_output_is_stdout(out) ? "stdout" : out, when,
                strcmp(issuer, "root") == 0 ? ": hold the next root ceremony before then" : "");
    }
    goto done;
fail:
    rc = cli_fail(&err);
done:
    fs_output_abort(o);
    X509_CRL_free(crl);
    BIO_free(b);
    free(der);
    ca_close(ca);
    return rc;
}

int cmd_timestamp(const cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"sha384", no_argument, NULL, '3'},
        {"sha512", no_argument, NULL, '5'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *file;
    const EVP_MD *md = EVP_sha256();
    unsigned char dig[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    int c, rc = EXIT_ERROR;
    pki *p = NULL;
    cms_tsa tsa = {0};
    cms_ts_result res;
    fs_output *o = NULL;
    sertel_err err = {0};

    memset(&res, 0, sizeof(res));
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case '3':
            md = EVP_sha384();
            break;
        case '5':
            md = EVP_sha512();
            break;
        case 'h':
            fputs(ts_usage, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("timestamp: unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error("timestamp: give exactly one FILE to time-stamp");
    file = argv[optind];
    if (fs_digest_file(file, md, dig, &dlen, &err) != SERTEL_OK)
        return cli_fail(&err);
    /* The output before the token: a refused one (a link, a directory) costs no token. */
    if ((out != NULL && fs_output_open(out, 0644, 0, &o, &err) != SERTEL_OK) ||
        pki_open(g->home, &p, &err) != SERTEL_OK)
        goto fail;
    tsa.fn = pki_tsa_exchange;
    tsa.arg = p;
    if (cms_timestamp_md(&tsa, md, dig, dlen, &res, &err) != SERTEL_OK) {
        sertel_err_prefix(&err, "timestamp");
        goto fail;
    }
    {
        char when[32];
        time_t t = (time_t)res.time;
        struct tm tm;
        FILE *ms = msg_stream(out);
        if (gmtime_r(&t, &tm) == NULL ||
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
            snprintf(when, sizeof(when), "?");
        fprintf(ms, "time-stamp of %s (%s)\n  time:   %s\n  serial: %s\n  policy: %s\n", file,
                EVP_MD_get0_name(md), when, res.serial, res.policy);
        if (o != NULL) {
            if (fs_output_write(o, res.response, res.response_len, &err) != SERTEL_OK)
                goto fail;
            rc = fs_output_commit(o, &err);
            o = NULL;
            if (rc != SERTEL_OK)
                goto fail;
            fprintf(ms, "  token written to %s\n", fs_output_is_stdout(out) ? "stdout" : out);
        }
    }
    rc = EXIT_OK;
    goto done;
fail:
    rc = cli_fail(&err);
done:
    fs_output_abort(o);
    cms_ts_result_clear(&res);
    pki_close(p);
    return rc;
}
