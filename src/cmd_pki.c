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
#include <unistd.h>

#include "ca/ca.h"
#include "cli.h"
#include "pki/pki.h"
#include "util/fs.h"

static const char crl_usage[] =
    "usage: sertel [--home DIR] crl [--issuer issuing|root] [--out FILE] [--pem]\n"
    "\n"
    "Issue a new full CRL (RFC 5280) for the issuing CA (default) or the root and\n"
    "write it (DER, or PEM with --pem) to FILE or stdout. The CRL number grows with\n"
    "every CRL; `sertel serve` also reissues CRLs at half-life and on revocation.\n";

static const char ts_usage[] =
    "usage: sertel [--home DIR] timestamp FILE [--out TOKEN.tsr] [--sha384 | --sha512]\n"
    "\n"
    "Time-stamp FILE with this CA's time-stamping authority (RFC 3161) without the\n"
    "HTTP server: prints the token's time, serial and policy, and with --out writes\n"
    "the TimeStampResp (DER), checkable with `openssl ts -verify`.\n";

static int write_out(const char *path, const unsigned char *data, size_t len)
{
    sertel_err err = {0};

    if (path == NULL) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
            return cli_usage_error("cannot write to stdout");
        return EXIT_OK;
    }
    if (fs_write_atomic(path, data, len, 0644, &err) != SERTEL_OK)
        return cli_fail(&err);
    return EXIT_OK;
}

int cmd_crl(const cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"issuer", required_argument, NULL, 'i'},
        {"out", required_argument, NULL, 'o'},
        {"pem", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *issuer = "issuing", *out = NULL;
    int c, pem = 0, rc;
    ca_ctx *ca = NULL;
    unsigned char *der = NULL;
    size_t len = 0;
    ca_crl_info info;
    sertel_err err = {0};

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            issuer = optarg;
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
    if (ca_open(g->home, 0, &ca, &err) != SERTEL_OK)
        return cli_fail(&err);
    if (ca_crl_generate(ca, issuer, &err) != SERTEL_OK ||
        ca_crl_current(ca, issuer, &der, &len, &info, &err) != SERTEL_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    if (pem) {
        const unsigned char *p = der;
        X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
        BIO *b = BIO_new(BIO_s_mem());
        BUF_MEM *bm;
        if (crl == NULL || b == NULL || !PEM_write_bio_X509_CRL(b, crl)) {
            rc = cli_usage_error("crl: cannot encode the CRL as PEM");
        } else {
            BIO_get_mem_ptr(b, &bm);
            rc = write_out(out, (unsigned char *)bm->data, bm->length);
        }
        X509_CRL_free(crl);
        BIO_free(b);
    } else {
        rc = write_out(out, der, len);
    }
    if (rc == EXIT_OK && out != NULL)
        printf("CRL number %lld for the %s CA written to %s\n", (long long)info.number, issuer,
               out);
done:
    free(der);
    ca_close(ca);
    return rc;
}

/* Digest a file in chunks (any size). */
static int digest_file(const char *path, const EVP_MD *md, unsigned char *out, unsigned *outlen)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char buf[65536];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;

    if (fd < 0 || ctx == NULL || !EVP_DigestInit_ex(ctx, md, NULL))
        goto out;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        if (!EVP_DigestUpdate(ctx, buf, (size_t)n))
            goto out;
    if (n == 0 && EVP_DigestFinal_ex(ctx, out, outlen))
        rc = 0;
out:
    if (fd >= 0)
        close(fd);
    EVP_MD_CTX_free(ctx);
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
    unsigned char dig[EVP_MAX_MD_SIZE], nonce_bytes[8], *reqder = NULL;
    unsigned dlen = 0;
    int c, rc = EXIT_ERROR, reqlen;
    TS_REQ *req = NULL;
    TS_MSG_IMPRINT *mi = NULL;
    X509_ALGOR *alg = NULL;
    ASN1_INTEGER *nonce = NULL;
    BIGNUM *bn = NULL;
    pki *p = NULL;
    pki_blob blob = {0};
    sertel_err err = {0};

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
    if (digest_file(file, md, dig, &dlen) != 0)
        return cli_usage_error("timestamp: cannot read %s", file);
    req = TS_REQ_new();
    mi = TS_MSG_IMPRINT_new();
    alg = X509_ALGOR_new();
    RAND_bytes(nonce_bytes, sizeof(nonce_bytes));
    bn = BN_bin2bn(nonce_bytes, sizeof(nonce_bytes), NULL);
    nonce = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    if (req == NULL || mi == NULL || alg == NULL || nonce == NULL || !TS_REQ_set_version(req, 1) ||
        !X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(md)), V_ASN1_NULL, NULL) ||
        !TS_MSG_IMPRINT_set_algo(mi, alg) || !TS_MSG_IMPRINT_set_msg(mi, dig, (int)dlen) ||
        !TS_REQ_set_msg_imprint(req, mi) || !TS_REQ_set_nonce(req, nonce) ||
        !TS_REQ_set_cert_req(req, 1) || (reqlen = i2d_TS_REQ(req, &reqder)) <= 0) {
        rc = cli_usage_error("timestamp: cannot build the request");
        goto done;
    }
    if (pki_open(g->home, &p, &err) != SERTEL_OK ||
        pki_tsa(p, reqder, (size_t)reqlen, &blob, &err) != SERTEL_OK) {
        rc = cli_fail(&err);
        goto done;
    }
    {
        const unsigned char *q = blob.data;
        TS_RESP *resp = d2i_TS_RESP(NULL, &q, (long)blob.len);
        TS_TST_INFO *tst = resp ? TS_RESP_get_tst_info(resp) : NULL;
        BIO *bo = BIO_new_fp(stdout, BIO_NOCLOSE);
        if (tst == NULL) {
            /* Say why, with the TSA's own words when it gave some. */
            const TS_STATUS_INFO *si = resp ? TS_RESP_get_status_info(resp) : NULL;
            const STACK_OF(ASN1_UTF8STRING) *tx = si ? TS_STATUS_INFO_get0_text(si) : NULL;
            const ASN1_UTF8STRING *t0 =
                sk_ASN1_UTF8STRING_num(tx) > 0 ? sk_ASN1_UTF8STRING_value(tx, 0) : NULL;
            rc = cli_usage_error(
                "timestamp: the time-stamping authority did not grant a token%s%.*s",
                t0 ? ": " : "", t0 ? ASN1_STRING_length(t0) : 0,
                t0 ? (const char *)ASN1_STRING_get0_data(t0) : "");
        } else {
            char pol[128];
            BIGNUM *sbn = ASN1_INTEGER_to_BN(TS_TST_INFO_get_serial(tst), NULL);
            char *shex = sbn ? BN_bn2hex(sbn) : NULL;
            OBJ_obj2txt(pol, sizeof(pol), TS_TST_INFO_get_policy_id(tst), 1);
            BIO_printf(bo, "time-stamp of %s (%s)\n  time:   ", file, EVP_MD_get0_name(md));
            ASN1_GENERALIZEDTIME_print(bo, TS_TST_INFO_get_time(tst));
            BIO_printf(bo, "\n  serial: %s\n  policy: %s\n", shex ? shex : "?", pol);
            OPENSSL_free(shex);
            BN_free(sbn);
            rc = out ? write_out(out, blob.data, blob.len) : EXIT_OK;
            if (rc == EXIT_OK && out)
                BIO_printf(bo, "  token written to %s\n", out);
        }
        BIO_free(bo);
        TS_RESP_free(resp);
    }
done:
    pki_blob_clear(&blob);
    pki_close(p);
    OPENSSL_free(reqder);
    TS_REQ_free(req);
    TS_MSG_IMPRINT_free(mi);
    X509_ALGOR_free(alg);
    ASN1_INTEGER_free(nonce);
    BN_free(bn);
    return rc;
}
