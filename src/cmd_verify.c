/*
 * cmd_verify.c - `sertel verify`: validate the signatures of a PDF (PAdES,
 * PKCS#7, document time-stamps) or a detached CMS signature over a file,
 * and print the report (Indonesian by default, --lang en, or --json).
 * Trust anchors: the home's root CA (when the home exists) and every
 * --trust PEM file. Online checks may reach the home's own base URL on
 * any address (and each --fetch-allow origin); every other URL of the
 * document only on a public address (lib/pdf/verify.h).
 */
#include <getopt.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ca/ca.h"
#include "cli.h"
#include "cli_vhome.h"
#include "conf/conf.h"
#include "pdf/verify_job.h"
#include "pki/pki.h"
#include "util/fs.h"
#include "util/num.h"

#define VERIFY_MAX_ALLOW 8

static const char verify_usage[] =
    "usage: sertel [--home H] verify [--json] [--lang id|en] [--trust FILE.pem]... [--offline]\n"
    "                                [--trust-list FILE.json]... [--at TIME] [--tz WIB|WITA|WIT]\n"
    "                                [--fetch-time S] [--fetch-bytes N] [--fetch-allow URL]...\n"
    "                                [--pdf-password-file F] [--in-process]\n"
    "                                [--no-visual | --visual-all] FILE.pdf\n"
    "       sertel [--home H] verify [--json] [--lang id|en] [--trust FILE.pem]... [--offline]\n"
    "                                [--fetch-...] [--in-process] --detached SIG.p7s DATA\n"
    "\n"
    "Validates every signature of FILE.pdf (integrity, ByteRange, certificate\n"
    "chain, time-stamp, changes made after signing) or a detached CMS signature\n"
    "of DATA, with conclusions after ETSI TS 119 102-1. Trusted: the home's root\n"
    "CA, the certificates in each --trust file and the entries of each\n"
    "--trust-list (docs/trust.md: named, and marked when certified Indonesian\n"
    "CAs, PP 71/2019 art. 59-60: \"tersertifikasi\"). Revocation of the signer's and\n"
    "the TSA's chains: from the PDF's /DSS and the signature's CRLs, then OCSP\n"
    "(AIA URL) or the CRL (CDP URL) fetched online; --offline fetches nothing\n"
    "(no embedded status: INDETERMINATE / TRY_LATER). With a CA home, its\n"
    "database is the authority on the certificates it issued (their status,\n"
    "online or offline, reported as \"home database\"). An encrypted FILE.pdf is\n"
    "opened with the password in --pdf-password-file F, else with the empty one.\n"
    "\n"
    "--at TIME validates as of TIME (RFC 3339, 2020-11-01T12:00:00Z, or a date,\n"
    "2020-11-01 = its start in UTC) instead of now: the chains' validity periods,\n"
    "revocation (a certificate revoked after TIME was not revoked then) and the\n"
    "algorithms allowed are judged at that time; a time-stamp still proves the\n"
    "signing time. Fetched revocation data must still be current.\n"
    "\n"
    "Times in the Indonesian report are in the agency's zone: --tz WIB (UTC+7,\n"
    "the default), WITA (UTC+8) or WIT (UTC+9), else [verify] timezone of the\n"
    "home's sertel.conf; the English report gives UTC unless --tz; JSON is UTC.\n"
    "\n"
    "Online, only the chains that end at a trusted root are checked, only over\n"
    "http(s), only on public addresses (no loopback, private, link-local...\n"
    "address, checked after DNS), except the home's own base URL and each\n"
    "--fetch-allow URL's origin (scheme, host, port); all fetches of one\n"
    "document share --fetch-time S seconds (default 20) and --fetch-bytes N\n"
    "bytes (default 4194304). Each fetch left out is named in the report.\n"
    "\n"
    "The file is parsed and checked in a sandboxed worker process (no files, no\n"
    "network, no keys: docs/architecture.md); online revocation data is fetched\n"
    "by this process on its request, under the rules above. --in-process checks\n"
    "here instead (to compare or debug; the server always uses the worker).\n"
    "\n"
    "Where changes made after a signature were accepted, the pages of the signed\n"
    "revision and of the document are compared as a reader shows them (the first\n"
    "32; pages whose drawing inputs changed are rendered at 50 dpi); a page that\n"
    "differs outside the changed annotations makes the signature INDETERMINATE /\n"
    "SIG_CONSTRAINTS_FAILURE. --no-visual leaves this out (for measurement);\n"
    "--visual-all renders every compared page.\n"
    "\n"
    "Exit status: 0 every signature TOTAL_PASSED; 1 any signature not (or none);\n"
    "2 error (unreadable file, not a PDF).\n";

/*
 * The home's base URL into allow[*n] (buf holds it): a home checking its
 * own documents may reach its own server, whatever its address.
 */
static void add_home_origin(const char *home, char *buf, size_t cap, const char **allow, size_t *n)
{
    struct stat sb;
    sertel_err err = {0};
    int rc;

    if (stat(home, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return;
    rc = ca_home_base_url(home, buf, cap, &err);
    if (rc == SERTEL_OK)
        allow[(*n)++] = buf;
    else if (rc != SERTEL_ERR_NOTFOUND)
        fprintf(stderr,
                "sertel: note: the home's base URL is not exempt from the address rule: %s\n",
                err.msg);
}

/*
 * The home's [verify] timezone (WIB, WITA, WIT, UTC) into out: 1 when set
 * and valid; a bad value is named on stderr and ignored.
 */
static int home_timezone(const char *home, char *out, size_t cap)
{
    char path[4096];
    conf *c = NULL;
    sertel_err err = {0};
    const char *v;
    int off, ok = 0;
    struct stat sb;

    if ((size_t)snprintf(path, sizeof(path), "%s/sertel.conf", home) >= sizeof(path) ||
        stat(path, &sb) != 0 || conf_load(path, &c, &err) != SERTEL_OK) {
        conf_free(c);
        return 0;
    }
    v = conf_get(c, "verify", "timezone");
    if (v != NULL && vfy_tz_offset(v, &off, &err) == SERTEL_OK &&
        (size_t)snprintf(out, cap, "%s", v) < cap)
        ok = 1;
    else if (v != NULL)
        fprintf(stderr, "sertel: note: %s [verify] timezone: %s\n", path, err.msg);
    conf_free(c);
    return ok;
}

static int add_pem(STACK_OF(X509) * st, const char *file, sertel_err *err)
{
    BIO *b = BIO_new_file(file, "r");
    X509 *x;
    int n = 0;

    if (b == NULL)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot read trust file %s", file);
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if (!sk_X509_push(st, x)) {
            X509_free(x);
            break;
        }
        n++;
    }
    ERR_clear_error();
    BIO_free(b);
    if (n == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "no PEM certificate in %s", file);
    return SERTEL_OK;
}

/*
 * The home's root CA certificate as a trust anchor. It is read from the
 * file that `sertel init` writes next to the database (certs/root.pem):
 * validation needs nothing else from the home, and opening it as a CA
 * (pki_open: the database, the keystore's OCSP and TSA keys decrypted
 * with PBKDF2, a CRL refresh that may write) cost more than the validation
 * itself. A home without that file is opened the old way.
 */
static void add_home_root(const char *home, STACK_OF(X509) * st)
{
    struct stat sb;
    pki *p = NULL;
    pki_blob b = {0};
    sertel_err err = {0};
    char path[4096];
    BIO *bio = NULL;
    X509 *x = NULL;

    if (stat(home, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return;
    if ((size_t)snprintf(path, sizeof(path), "%s/certs/root.pem", home) < sizeof(path) &&
        (bio = BIO_new_file(path, "r")) != NULL) {
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        BIO_free(bio);
        ERR_clear_error();
        if (x == NULL)
            fprintf(stderr,
                    "sertel: note: %s holds no PEM certificate: not used as a trust anchor\n",
                    path);
        else if (!sk_X509_push(st, x))
            X509_free(x);
        return;
    }
    ERR_clear_error();
    if (pki_open(home, &p, &err) != SERTEL_OK) {
        fprintf(stderr, "sertel: note: the home %s is not used as a trust anchor: %s\n", home,
                err.msg);
        return;
    }
    if (pki_ca_cert(p, "root", 0, &b, &err) == SERTEL_OK && b.data != NULL && b.len < INT32_MAX) {
        bio = BIO_new_mem_buf(b.data, (int)b.len);
        x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        if (x != NULL && !sk_X509_push(st, x))
            X509_free(x);
        BIO_free(bio);
    }
    pki_blob_clear(&b);
    pki_close(p);
}

int cmd_verify(const cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"lang", required_argument, NULL, 'l'},
        {"trust", required_argument, NULL, 't'},
        {"offline", no_argument, NULL, 'o'},
        {"detached", no_argument, NULL, 'd'},
        {"pdf-password-file", required_argument, NULL, 'W'},
        {"fetch-time", required_argument, NULL, 'T'},
        {"fetch-bytes", required_argument, NULL, 'B'},
        {"fetch-allow", required_argument, NULL, 'A'},
        {"in-process", no_argument, NULL, 'I'},
        {"no-visual", no_argument, NULL, 'V'},
        {"visual-all", no_argument, NULL, 'R'},
        {"at", required_argument, NULL, 'a'},
        {"trust-list", required_argument, NULL, 'L'},
        {"tz", required_argument, NULL, 'z'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *lang = "id", *pdfpw_file = NULL, *tz = NULL;
    char conf_tz[16];
    int tzoff = 0;
    const char *allow[VERIFY_MAX_ALLOW + 1];
    size_t n_allow = 0;
    char *pdfpw = NULL, home_url[512];
    vfy_home_cert *home_certs = NULL;
    vfy_trust_list tl = {0};
    size_t n_home = 0;
    int64_t v;
    int c, json = 0, detached = 0, in_process = 0, rc = EXIT_ERROR;
    STACK_OF(X509) *trust = sk_X509_new_null();
    vfy_opts o;
    vfy_report *r = NULL;
    sbx *sb = NULL;
    sbx_config sbc;
    sertel_err err = {0};

    memset(&o, 0, sizeof(o));
    if (trust == NULL)
        return cli_usage_error("out of memory");
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'l':
            if (strcmp(optarg, "id") != 0 && strcmp(optarg, "en") != 0) {
                rc = cli_usage_error("verify: --lang must be id or en");
                goto out;
            }
            lang = optarg;
            break;
        case 't':
            if (add_pem(trust, optarg, &err) != SERTEL_OK) {
                rc = cli_fail(&err);
                goto out;
            }
            break;
        case 'o':
            o.offline = 1;
            break;
        case 'V':
            o.no_visual = 1;
            break;
        case 'R':
            o.visual_all = 1;
            break;
        case 'd':
            detached = 1;
            break;
        case 'W':
            pdfpw_file = optarg;
            break;
        case 'T':
            if (num_parse_i64z(optarg, 1, 3600, &v) != SERTEL_OK) {
                rc = cli_usage_error("verify: --fetch-time needs whole seconds from 1 to 3600");
                goto out;
            }
            o.fetch.time_ms = (long)v * 1000L;
            break;
        case 'B':
            if (num_parse_i64z(optarg, 1, 1L << 30, &v) != SERTEL_OK) {
                rc = cli_usage_error(
                    "verify: --fetch-bytes needs a byte count from 1 to 1073741824");
                goto out;
            }
            o.fetch.bytes = (size_t)v;
            break;
        case 'A':
            if (n_allow == VERIFY_MAX_ALLOW) {
                rc = cli_usage_error("verify: at most %d --fetch-allow", VERIFY_MAX_ALLOW);
                goto out;
            }
            allow[n_allow++] = optarg;
            break;
        case 'I':
            in_process = 1;
            break;
        case 'z':
            if (vfy_tz_offset(optarg, &tzoff, &err) != SERTEL_OK) {
                rc = cli_usage_error("verify: --tz: %s", err.msg);
                goto out;
            }
            tz = optarg;
            break;
        case 'L':
            if (vfy_trust_list_load(optarg, &tl, trust, &err) != SERTEL_OK) {
                rc = cli_fail(&err);
                goto out;
            }
            break;
        case 'a':
            if (vfy_parse_time(optarg, &o.at, &err) != SERTEL_OK) {
                rc = cli_usage_error("verify: --at: %s", err.msg);
                goto out;
            }
            break;
        case 'h':
            fputs(verify_usage, stdout);
            rc = EXIT_OK;
            goto out;
        default:
            rc = cli_usage_error("verify: unknown or incomplete option %s", argv[optind - 1]);
            goto out;
        }
    }
    if (optind + (detached ? 2 : 1) != argc) {
        rc = cli_usage_error(detached ? "verify: --detached needs SIG.p7s and the DATA file"
                                      : "verify: give one PDF file (see sertel verify --help)");
        goto out;
    }
    /* The checking process is forked from this one now, before the password file or the home
     * is read (a clean parent: this process holds no key or secret yet). It gets ready while
     * the rest is read here. */
    cli_sandbox_clean(&sbc, 1);
    if (!in_process && sbx_new(&sbc, &sb, &err) != SERTEL_OK) {
        rc = cli_fail(&err);
        goto out;
    }
    if (pdfpw_file != NULL) {
        if (secret_read_file(pdfpw_file, &pdfpw, &err) != SERTEL_OK) {
            rc = cli_fail(&err);
            goto out;
        }
        o.password = pdfpw;
    }
    add_home_root(g->home, trust);
    add_home_origin(g->home, home_url, sizeof(home_url), allow, &n_allow);
    /* The home's database: the status of the certificates it issued, offline too. */
    if (cli_vhome_load(g->home, &home_certs, &n_home, &err) != SERTEL_OK) {
        fprintf(stderr, "sertel: note: the home's certificate records are not used: %s\n", err.msg);
        memset(&err, 0, sizeof(err));
    }
    o.home = home_certs;
    o.n_home = n_home;
    o.trust = trust;
    o.fetch.allow = allow;
    o.fetch.n_allow = n_allow;
    if (detached)
        rc = vfy_detached_file_sb(sb, argv[optind], argv[optind + 1], &o, &r, &err);
    else
        rc = pdf_verify_file_sb(sb, argv[optind], &o, &r, &err);
    if (rc != SERTEL_OK) {
        rc = cli_fail(&err);
        goto out;
    }
    vfy_report_apply_trust(r, &tl);
    if (json) {
        json_t *j = vfy_report_json(r, argv[optind + (detached ? 1 : 0)]);
        char *s = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(j);
        if (s == NULL) {
            rc = cli_usage_error("out of memory");
            goto out;
        }
        puts(s);
        free(s);
    } else {
        if (tz == NULL && home_timezone(g->home, conf_tz, sizeof(conf_tz)))
            tz = conf_tz;
        vfy_report_text_tz(r, argv[optind + (detached ? 1 : 0)], lang, tz, stdout);
    }
    rc = r->conclusion == VFY_TOTAL_PASSED && r->n_sigs > 0 ? EXIT_OK : EXIT_NEGATIVE;
out:
    sbx_free(sb);
    vfy_report_free(r);
    sk_X509_pop_free(trust, X509_free);
    secret_free(pdfpw);
    free(home_certs);
    vfy_trust_list_free(&tl);
    return rc;
}
