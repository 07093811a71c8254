/*
 * cmd_init.c - `sertel init`: create a CA home (see ca_init in ca.h).
 */
#include <getopt.h>
#include <openssl/rand.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ca/ca.h"
#include "cli.h"
#include "ra/mail.h"
#include "util/fs.h"

static const char usage[] =
    "usage: sertel [--home DIR] init [OPTIONS]\n"
    "\n"
    "Create a new CA home: configuration, database, a self-signed root CA (20 years),\n"
    "an issuing CA (10 years), OCSP-signing and time-stamping certificates, an audit\n"
    "key and the first admin account. Refuses to touch an existing home.\n"
    "\n"
    "Options:\n"
    "  --org NAME                organisation in the CA names (default: sertel Demo)\n"
    "  --key-type TYPE           ec-p256 (default), ec-p384, rsa-2048, rsa-3072, rsa-4096\n"
    "  --base-url URL            where `sertel serve` will be reachable; certificates\n"
    "                            carry OCSP, CA and CRL URLs under it\n"
    "                            (default: " CA_DEFAULT_BASE_URL ")\n"
    "  --policy-oid OID          certificatePolicies OID of subscriber certificates\n"
    "                            (default " CA_DEFAULT_POLICY_OID ", an example: set your own)\n"
    "  --tsa-policy-oid OID      the policy OID the TSA's time-stamps name\n"
    "                            (default " CA_DEFAULT_TSA_POLICY_OID
    ", an example: set your own)\n"
    "  --mail-from \"NAME <ADDR>\" the sender of the mails sertel sends (confirmation,\n"
    "                            approval, reminders; default: sertel <noreply@localhost>)\n"
    "  --pkcs11-module PATH      keep the CA keys in a PKCS#11 token (e.g.\n"
    "                            /usr/lib/softhsm/libsofthsm2.so)\n"
    "  --pkcs11-token LABEL      the token's label\n"
    "  --pkcs11-pin-file FILE    file whose first line is the user PIN\n"
    "  --admin-email EMAIL       the first administrator (default: admin@sertel.local)\n"
    "  --admin-name NAME         (default: Administrator)\n"
    "  --admin-password-file F   file whose first line is the admin password (>= 12\n"
    "                            characters). Without it: asked on a terminal, or\n"
    "                            generated and printed once when stdin is not a terminal.\n"
    "\n"
    "Authenticator apps show the organisation as the issuer of the owners' codes.\n"
    "A warning says when the base URL is a loopback address (relying parties\n"
    "elsewhere cannot reach the OCSP, CRL and CA URLs certificates carry) and\n"
    "when a policy OID is still an example one.\n";

/* 24 characters from an unambiguous alphabet: ~137 bits. */
static char *generate_password(void)
{
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679";
    unsigned char r[24];
    char buf[25];
    char *s;
    size_t i;

    for (i = 0; i < sizeof(r); i++)
        r[i] = (unsigned char)randombytes_uniform((uint32_t)(sizeof(alphabet) - 1));
    for (i = 0; i < sizeof(r); i++)
        buf[i] = alphabet[r[i]];
    buf[24] = '\0';
    s = secret_dup(buf);
    sodium_memzero(buf, sizeof(buf));
    sodium_memzero(r, sizeof(r));
    return s;
}

int cmd_init(const cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"org", required_argument, NULL, 'o'},
        {"key-type", required_argument, NULL, 'k'},
        {"base-url", required_argument, NULL, 'b'},
        {"policy-oid", required_argument, NULL, 'P'},
        {"tsa-policy-oid", required_argument, NULL, 'T'},
        {"mail-from", required_argument, NULL, 'f'},
        {"pkcs11-module", required_argument, NULL, 'm'},
        {"pkcs11-token", required_argument, NULL, 't'},
        {"pkcs11-pin-file", required_argument, NULL, 'p'},
        {"admin-email", required_argument, NULL, 'e'},
        {"admin-name", required_argument, NULL, 'n'},
        {"admin-password-file", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ca_init_opts o;
    const char *key_type = "ec-p256", *pin_file = NULL, *pw_file = NULL;
    const char *base_url, *policy, *tsa_policy;
    char *pin = NULL, *pw = NULL, *pw2 = NULL;
    int c, generated = 0, rc = EXIT_ERROR;
    sertel_err err = {0};

    memset(&o, 0, sizeof(o));
    o.home = g->home;
    o.org = "sertel Demo";
    o.admin_email = "admin@sertel.local";
    o.admin_name = "Administrator";
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            o.org = optarg;
            break;
        case 'k':
            key_type = optarg;
            break;
        case 'b':
            o.base_url = optarg;
            break;
        case 'P':
            o.policy_oid = optarg;
            break;
        case 'T':
            o.tsa_policy_oid = optarg;
            break;
        case 'f':
            o.mail_from = optarg;
            break;
        case 'm':
            o.pkcs11_module = optarg;
            break;
        case 't':
            o.pkcs11_token = optarg;
            break;
        case 'p':
            pin_file = optarg;
            break;
        case 'e':
            o.admin_email = optarg;
            break;
        case 'n':
            o.admin_name = optarg;
            break;
        case 'a':
            pw_file = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return EXIT_OK;
        default:
            fputs(usage, stderr);
            return cli_usage_error("init: unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage_error("init: unexpected argument '%s'", argv[optind]);
    if (ks_keytype_parse(key_type, &o.key_type) != SERTEL_OK)
        return cli_usage_error("init: unsupported key type '%s': use ec-p256, ec-p384, "
                               "rsa-2048, rsa-3072 or rsa-4096",
                               key_type);
    if (o.mail_from != NULL && mailer_check_from(o.mail_from, &err) != SERTEL_OK) {
        sertel_err_prefix(&err, "init: --mail-from");
        return cli_fail(&err);
    }
    if ((o.pkcs11_module != NULL) != (o.pkcs11_token != NULL) ||
        (o.pkcs11_module != NULL) != (pin_file != NULL))
        return cli_usage_error("init: --pkcs11-module, --pkcs11-token and --pkcs11-pin-file go "
                               "together");
    if (pin_file != NULL) {
        if (secret_read_file(pin_file, &pin, &err) != SERTEL_OK)
            return cli_fail(&err);
        o.pkcs11_pin = pin;
    }
    if (pw_file != NULL) {
        if (secret_read_file(pw_file, &pw, &err) != SERTEL_OK) {
            rc = cli_fail(&err);
            goto out;
        }
    } else if (isatty(STDIN_FILENO)) {
        pw = cli_prompt_secret("New admin password (at least 12 characters): ");
        pw2 = cli_prompt_secret("Repeat it: ");
        if (pw == NULL || pw2 == NULL || strcmp(pw, pw2) != 0) {
            rc = cli_usage_error("init: the passwords do not match; nothing was created");
            goto out;
        }
    } else {
        pw = generate_password();
        generated = 1;
    }
    if (pw == NULL) {
        rc = cli_usage_error("init: out of secure memory");
        goto out;
    }
    o.admin_password = pw;
    if (ca_init(&o, &err) != SERTEL_OK) {
        rc = cli_fail(&err);
        goto out;
    }
    base_url = o.base_url ? o.base_url : CA_DEFAULT_BASE_URL;
    policy = o.policy_oid ? o.policy_oid : CA_DEFAULT_POLICY_OID;
    tsa_policy = o.tsa_policy_oid ? o.tsa_policy_oid : CA_DEFAULT_TSA_POLICY_OID;
    printf("created sertel home %s\n", g->home);
    printf("  organisation: %s\n  CA key type:  %s\n  keys in:      %s\n  base URL:     %s\n",
           o.org, key_type, o.pkcs11_module ? "PKCS#11 token" : "software keystore (encrypted)",
           base_url);
    printf("  policies:     certificates %s, time-stamps %s\n", policy, tsa_policy);
    printf("  mail from:    %s\n", o.mail_from ? o.mail_from : "sertel <noreply@localhost>");
    printf("  admin:        %s\n", o.admin_email);
    if (generated)
        printf("  admin password (shown once, keep it safe): %s\n", pw);
    if (ca_url_is_loopback(base_url))
        fprintf(stderr,
                "sertel: warning: the base URL %s is a loopback address: the OCSP, CRL and CA "
                "certificate URLs the certificates carry cannot be reached by relying parties "
                "on other machines; for real use give --base-url with a name they can reach "
                "(e.g. http://pki.contoh.go.id)\n",
                base_url);
    if (ca_oid_is_example(policy) || ca_oid_is_example(tsa_policy)) {
        int both = ca_oid_is_example(policy) && ca_oid_is_example(tsa_policy);
        fprintf(stderr,
                "sertel: warning: %s %s%s%s %s (under 2.999): set the agency's own registered "
                "OIDs with --policy-oid and --tsa-policy-oid (or policy_oid in [profile "
                "document-signing], [profile organisation-seal] and [tsa] of sertel.conf) before "
                "issuing certificates that relying parties use\n",
                both ? "the policy OIDs" : "the policy OID",
                ca_oid_is_example(policy) ? policy : "", both ? " and " : "",
                ca_oid_is_example(tsa_policy) ? tsa_policy : "",
                both ? "are examples" : "is an example");
    }
    rc = EXIT_OK;
out:
    secret_free(pin);
    secret_free(pw);
    secret_free(pw2);
    return rc;
}
