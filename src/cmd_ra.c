/*
 * cmd_ra.c - the registration-authority commands: agencies, accounts,
 * registration, applications, review, passphrases, signing authorization,
 * status and housekeeping. Each one parses options and calls one ra_*
 * function (lib/ra/ra.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include <jansson.h>
#include <sodium.h>

#include "ra/ra.h"
#include "ra/totp.h"
#include "util/fs.h"
#include "util/num.h"

#define MAX_DOMAINS 16
#define UPLOAD_FILE_MAX (64 * 1024 * 1024)

/* Options are "--name value" pairs and "--flag"s; anything else is positional. */
typedef struct opts {
    const char *names[24];
    const char *values[24];
    int n;
    const char *pos[4];
    int npos;
    const char *domains[MAX_DOMAINS];
    int ndomains;
} opts;

/* Parse argv[start..]; valued lists option names that take a value. */
static int parse(int argc, char **argv, int start, const char *valued, const char *flags, opts *o)
{
    int i;

    memset(o, 0, sizeof(*o));
    for (i = start; i < argc; i++) {
        const char *a = argv[i];
        char key[64];
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (o->npos >= 4)
                return cli_usage_error("too many arguments (at '%s')", a);
            o->pos[o->npos++] = a;
            continue;
        }
        snprintf(key, sizeof(key), " %s ", a + 2);
        if (strstr(flags, key) != NULL) {
            if (o->n >= 24)
                return cli_usage_error("too many options");
            o->names[o->n] = a + 2;
            o->values[o->n++] = "";
            continue;
        }
        if (strstr(valued, key) == NULL)
            return cli_usage_error("unknown option %s (see --help)", a);
        if (i + 1 >= argc)
            return cli_usage_error("option %s needs a value", a);
        if (strcmp(a, "--domain") == 0) {
            if (o->ndomains >= MAX_DOMAINS)
                return cli_usage_error("at most %d domains", MAX_DOMAINS);
            o->domains[o->ndomains++] = argv[++i];
            continue;
        }
        if (o->n >= 24)
            return cli_usage_error("too many options");
        o->names[o->n] = a + 2;
        o->values[o->n++] = argv[++i];
    }
    return EXIT_OK;
}

static const char *get(const opts *o, const char *name)
{
    int i;

    for (i = 0; i < o->n; i++)
        if (strcmp(o->names[i], name) == 0)
            return o->values[i];
    return NULL;
}

static int need(const opts *o, const char *name, const char **out, const char *cmd)
{
    *out = get(o, name);
    if (*out == NULL || **out == '\0')
        return cli_usage_error("%s: --%s is required", cmd, name);
    return EXIT_OK;
}

/* Ids are whole numbers from 1 to 2^53 - 1 (exact in JSON as well). */
#define ID_MAX 9007199254740991LL

static int parse_id(const char *s, int64_t *out, const char *what)
{
    if (num_parse_i64z(s, 1, ID_MAX, out) != SERTEL_OK)
        return cli_usage_error("%s must be a whole number from 1 to %lld, not '%.40s'", what,
                               ID_MAX, s);
    return EXIT_OK;
}

static int open_ra(const cli_global *g, ra **r)
{
    sertel_err err = {0};

    if (ra_open(g->home, r, &err) != SERTEL_OK)
        return cli_fail(&err);
    return EXIT_OK;
}

/*
 * The acting party: the local administrator (the operator at the CA host's
 * shell), or with --by/--verifier E the account E, vouched for by that
 * operator (the audit entries say so).
 */
static int actor(ra *r, const char *email, ra_actor *a)
{
    sertel_err err = {0};

    if (email == NULL) {
        ra_actor_local_admin(a);
        return EXIT_OK;
    }
    if (ra_actor_local_as(r, email, a, &err) != SERTEL_OK)
        return cli_fail(&err);
    return EXIT_OK;
}

/* Open the home's RA and resolve the acting account (see actor); on failure nothing stays open. */
static int open_as(const cli_global *g, const char *email, ra **r, ra_actor *a)
{
    int rc = open_ra(g, r);

    if (rc == EXIT_OK && (rc = actor(*r, email, a)) != EXIT_OK) {
        ra_close(*r);
        *r = NULL;
    }
    return rc;
}

/* Close the RA and turn rc into an exit status (printing the error). */
static int done(ra *r, int rc, sertel_err *err)
{
    ra_close(r);
    return rc == SERTEL_OK ? EXIT_OK : cli_fail(err);
}

/* done, printing the new record's id on success. */
static int done_id(ra *r, int rc, int64_t id, sertel_err *err)
{
    if (rc == SERTEL_OK)
        printf("%lld\n", (long long)id);
    return done(r, rc, err);
}

static const char ra_usage[] =
    "usage: sertel [--home DIR] agency add --name NAME --domain DOMAIN [--domain D2 ...]\n"
    "       sertel [--home DIR] account add --role verifier|admin|auditor [--agency ID]\n"
    "                                       --email E --name NAME\n"
    "       sertel [--home DIR] register --agency ID --name NAME --nik NIK --email E\n"
    "                                    --unit UNIT --position POSITION [--by E]\n"
    "       sertel [--home DIR] email confirm --token T [--password-file F]\n"
    "       sertel [--home DIR] password set --email E --password-file F\n"
    "       sertel [--home DIR] client add --agency ID --name N --scopes "
    "sign,verify,status,register\n"
    "                                      [--vouches-login]\n"
    "       sertel [--home DIR] client list [--json] | client disable ID | client rotate ID\n"
    "       sertel [--home DIR] apply issuance --email E --letter FILE.pdf --ktp FILE.jpg|png\n"
    "       sertel [--home DIR] apply renewal --email E\n"
    "       sertel [--home DIR] apply revocation --email E --reason REASON\n"
    "                                    [--invalidity-date TIME] [--note TEXT]\n"
    "       sertel [--home DIR] apply withdraw ID --email E\n"
    "       sertel [--home DIR] review list --verifier E\n"
    "       sertel [--home DIR] review approve|reject|return ID --verifier E [--reason R]\n"
    "       sertel [--home DIR] passphrase create --token T --passphrase-file F\n"
    "       sertel [--home DIR] authorize --email E --passphrase-file F [--otp CODE]\n"
    "       sertel [--home DIR] totp enroll --email E --passphrase-file F [--otp CODE]\n"
    "       sertel [--home DIR] totp reset --email E [--verifier V]\n"
    "       sertel [--home DIR] otp send --email E\n"
    "       sertel [--home DIR] unlock --email E --verifier V\n"
    "       sertel [--home DIR] status --nik NIK\n"
    "       sertel [--home DIR] notify\n"
    "\n"
    "Without --by / --verifier a command acts as the local administrator; owner\n"
    "commands (apply, passphrase, authorize, totp enroll, otp send) act on the\n"
    "owner's behalf, and the audit log says so. TIME is ISO 8601 (2026-12-01T08:00Z).\n"
    "Mail goes to <home>/outbox/ unless [mail] smtp_url is set; tokens are in it.\n";

static int cmd_agency(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *name;
    ra *r = NULL;
    ra_actor a;
    int64_t id = 0;
    sertel_err err = {0};
    int rc;

    if (argc < 2 || strcmp(argv[1], "add") != 0)
        return cli_usage_error("usage: sertel agency add --name NAME --domain D [--domain D2]");
    if ((rc = parse(argc, argv, 2, " name domain by ", " ", &o)) != EXIT_OK ||
        (rc = need(&o, "name", &name, "agency add")) != EXIT_OK)
        return rc;
    if (o.ndomains == 0)
        return cli_usage_error("agency add: give the official e-mail domain with --domain");
    if ((rc = open_as(g, get(&o, "by"), &r, &a)) != EXIT_OK)
        return rc;
    rc = ra_agency_add(r, &a, name, o.domains, (size_t)o.ndomains, &id, &err);
    return done_id(r, rc, id, &err);
}

static int cmd_account(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *role, *email, *name, *ag;
    ra *r = NULL;
    ra_actor a;
    int64_t agency = 0, id = 0;
    sertel_err err = {0};
    int rc;

    if (argc < 2 || strcmp(argv[1], "add") != 0)
        return cli_usage_error("usage: sertel account add --role ROLE [--agency ID] --email E "
                               "--name NAME");
    if ((rc = parse(argc, argv, 2, " role agency email name by ", " ", &o)) != EXIT_OK ||
        (rc = need(&o, "role", &role, "account add")) != EXIT_OK ||
        (rc = need(&o, "email", &email, "account add")) != EXIT_OK ||
        (rc = need(&o, "name", &name, "account add")) != EXIT_OK)
        return rc;
    if ((ag = get(&o, "agency")) != NULL && (rc = parse_id(ag, &agency, "--agency")) != EXIT_OK)
        return rc;
    if ((rc = open_as(g, get(&o, "by"), &r, &a)) != EXIT_OK)
        return rc;
    rc = ra_account_add(r, &a, role, agency, email, name, &id, &err);
    return done_id(r, rc, id, &err);
}

static int cmd_register(const cli_global *g, int argc, char **argv)
{
    opts o;
    ra_registration reg;
    const char *ag;
    ra *r = NULL;
    ra_actor a;
    int64_t id = 0;
    sertel_err err = {0};
    int rc;

    memset(&reg, 0, sizeof(reg));
    if ((rc = parse(argc, argv, 1, " agency name nik email unit position by ", " ", &o)) !=
            EXIT_OK ||
        (rc = need(&o, "agency", &ag, "register")) != EXIT_OK ||
        (rc = parse_id(ag, &reg.agency_id, "--agency")) != EXIT_OK ||
        (rc = need(&o, "name", &reg.name, "register")) != EXIT_OK ||
        (rc = need(&o, "nik", &reg.nik, "register")) != EXIT_OK ||
        (rc = need(&o, "email", &reg.email, "register")) != EXIT_OK ||
        (rc = need(&o, "unit", &reg.unit, "register")) != EXIT_OK ||
        (rc = need(&o, "position", &reg.position, "register")) != EXIT_OK)
        return rc;
    if ((rc = open_as(g, get(&o, "by"), &r, &a)) != EXIT_OK)
        return rc;
    rc = ra_register(r, &a, &reg, &id, &err);
    return done_id(r, rc, id, &err);
}

static int read_upload(const char *path, unsigned char **buf, size_t *len, const char *what)
{
    sertel_err err = {0};

    if (fs_read_file(path, UPLOAD_FILE_MAX, buf, len, &err) != SERTEL_OK) {
        sertel_err_prefix(&err, "cannot read %s", what);
        return cli_fail(&err);
    }
    return EXIT_OK;
}

static int cmd_apply(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *email, *kind;
    ra *r = NULL;
    ra_actor a;
    int64_t id = 0;
    sertel_err err = {0};
    int rc;

    if (argc < 2)
        return cli_usage_error("usage: sertel apply issuance|renewal|revocation|withdraw ...");
    kind = argv[1];
    if ((rc = parse(argc, argv, 2, " email letter ktp reason invalidity-date note ", " ", &o)) !=
            EXIT_OK ||
        (rc = need(&o, "email", &email, "apply")) != EXIT_OK)
        return rc;
    ra_actor_local_admin(&a);
    if (strcmp(kind, "issuance") == 0) {
        const char *lp, *kp;
        unsigned char *letter = NULL, *ktp = NULL;
        size_t ll = 0, kl = 0;
        sbx *sb = NULL;
        sbx_config sbc;
        if ((rc = need(&o, "letter", &lp, "apply issuance")) != EXIT_OK ||
            (rc = need(&o, "ktp", &kp, "apply issuance")) != EXIT_OK)
            return rc;
        if ((rc = read_upload(lp, &letter, &ll, "the recommendation letter")) != EXIT_OK)
            return rc;
        if ((rc = read_upload(kp, &ktp, &kl, "the e-KTP scan")) != EXIT_OK) {
            free(letter);
            return rc;
        }
        /* The uploads are checked in two job processes forked now, before the home (and the
         * server secret) is opened: a clean parent (sandbox.h). */
        cli_sandbox_clean(&sbc, 2);
        if (sbx_new(&sbc, &sb, &err) != SERTEL_OK) {
            rc = cli_fail(&err);
        } else if ((rc = open_ra(g, &r)) == EXIT_OK) {
            ra_set_sandbox(r, sb);
            rc = ra_apply_issuance(r, &a, email, letter, ll, ktp, kl, &id, &err);
            rc = done_id(r, rc, id, &err);
        }
        sbx_free(sb);
        free(letter);
        free(ktp);
        return rc;
    }
    if (strcmp(kind, "renewal") == 0) {
        if ((rc = open_ra(g, &r)) != EXIT_OK)
            return rc;
        rc = ra_apply_renewal(r, &a, email, &id, &err);
        return done_id(r, rc, id, &err);
    }
    if (strcmp(kind, "revocation") == 0) {
        const char *rs, *inv = get(&o, "invalidity-date");
        ra_revocation rv = {0, 0, get(&o, "note")};
        if ((rc = need(&o, "reason", &rs, "apply revocation")) != EXIT_OK)
            return rc;
        if (ca_reason_parse(rs, &rv.reason) != SERTEL_OK)
            return cli_usage_error("apply revocation: unknown reason '%s': use unspecified, "
                                   "keyCompromise, affiliationChanged, superseded, "
                                   "cessationOfOperation or privilegeWithdrawn",
                                   rs);
        if (inv != NULL && num_parse_time(inv, &rv.invalidity_date) != SERTEL_OK)
            return cli_usage_error("apply revocation: --invalidity-date '%.40s' is not a time "
                                   "such as 2026-12-01T08:00:00Z",
                                   inv);
        if ((rc = open_ra(g, &r)) != EXIT_OK)
            return rc;
        rc = ra_apply_revocation(r, &a, email, &rv, &id, &err);
        return done_id(r, rc, id, &err);
    }
    if (strcmp(kind, "withdraw") == 0) {
        if (o.npos != 1)
            return cli_usage_error("apply withdraw: give the application id");
        if ((rc = parse_id(o.pos[0], &id, "the application id")) != EXIT_OK)
            return rc;
        if ((rc = open_ra(g, &r)) != EXIT_OK)
            return rc;
        rc = ra_withdraw(r, &a, email, id, &err);
        return done(r, rc, &err);
    }
    return cli_usage_error("apply: unknown kind '%s' (issuance, renewal, revocation, withdraw)",
                           kind);
}

static int print_app(const ra_application *a, void *arg)
{
    char when[32];
    time_t t = (time_t)a->created_at;
    struct tm tm;

    (void)arg;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
    printf("%-6lld %-10s %-8s %-16s %-32s %s%s%s\n", (long long)a->id, a->kind, a->state, a->nik,
           a->email, when, a->reason >= 0 ? "  reason=" : "",
           a->reason >= 0 ? ca_reason_name(a->reason) : "");
    return 0;
}

static int cmd_review(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *sub, *ver;
    ra *r = NULL;
    ra_actor a;
    int64_t id = 0;
    sertel_err err = {0};
    ra_decision d;
    int rc;

    if (argc < 2)
        return cli_usage_error("usage: sertel review list|approve|reject|return ...");
    sub = argv[1];
    if ((rc = parse(argc, argv, 2, " verifier reason ", " ", &o)) != EXIT_OK)
        return rc;
    ver = get(&o, "verifier");
    if (strcmp(sub, "list") == 0) {
        if ((rc = open_as(g, ver, &r, &a)) != EXIT_OK)
            return rc;
        printf("%-6s %-10s %-8s %-16s %-32s %s\n", "ID", "KIND", "STATE", "NIK", "EMAIL",
               "SUBMITTED (UTC)");
        rc = ra_review_list(r, &a, print_app, NULL, &err);
        return done(r, rc, &err);
    }
    if (strcmp(sub, "approve") == 0)
        d = RA_APPROVE;
    else if (strcmp(sub, "reject") == 0)
        d = RA_REJECT;
    else if (strcmp(sub, "return") == 0)
        d = RA_RETURN;
    else
        return cli_usage_error("review: unknown subcommand '%s'", sub);
    if (o.npos != 1)
        return cli_usage_error("review %s: give the application id", sub);
    if ((rc = parse_id(o.pos[0], &id, "the application id")) != EXIT_OK)
        return rc;
    if ((rc = open_as(g, ver, &r, &a)) != EXIT_OK)
        return rc;
    rc = ra_review_decide(r, &a, id, d, get(&o, "reason"), &err);
    return done(r, rc, &err);
}

static int read_pass(const char *file, char **out)
{
    sertel_err err = {0};

    if (secret_read_file(file, out, &err) != SERTEL_OK)
        return cli_fail(&err);
    return EXIT_OK;
}

static int cmd_email(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *token;
    ra *r = NULL;
    sertel_err err = {0};
    int rc;

    const char *pf;
    char *pw = NULL;

    if (argc < 2 || strcmp(argv[1], "confirm") != 0)
        return cli_usage_error("usage: sertel email confirm --token T [--password-file F]");
    if ((rc = parse(argc, argv, 2, " token password-file ", " ", &o)) != EXIT_OK ||
        (rc = need(&o, "token", &token, "email confirm")) != EXIT_OK)
        return rc;
    if ((pf = get(&o, "password-file")) != NULL && (rc = read_pass(pf, &pw)) != EXIT_OK)
        return rc;
    if ((rc = open_ra(g, &r)) != EXIT_OK) {
        secret_free(pw);
        return rc;
    }
    rc = ra_email_confirm_password(r, token, pw, &err);
    secret_free(pw);
    if (rc == SERTEL_OK)
        printf("e-mail address confirmed%s\n", pf ? "; the login password is set" : "");
    return done(r, rc, &err);
}

static int cmd_passphrase(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *token, *pf;
    char *pass = NULL, serial[41];
    ra *r = NULL;
    ra_actor a;
    sertel_err err = {0};
    int rc;

    if (argc < 2 || strcmp(argv[1], "create") != 0)
        return cli_usage_error("usage: sertel passphrase create --token T --passphrase-file F");
    if ((rc = parse(argc, argv, 2, " token passphrase-file ", " ", &o)) != EXIT_OK ||
        (rc = need(&o, "token", &token, "passphrase create")) != EXIT_OK ||
        (rc = need(&o, "passphrase-file", &pf, "passphrase create")) != EXIT_OK ||
        (rc = read_pass(pf, &pass)) != EXIT_OK)
        return rc;
    ra_actor_local_admin(&a);
    if ((rc = open_ra(g, &r)) == EXIT_OK) {
        rc = ra_passphrase_create(r, &a, token, pass, serial, &err);
        if (rc == SERTEL_OK)
            printf("certificate issued: %s\n", serial);
        rc = done(r, rc, &err);
    }
    secret_free(pass);
    return rc;
}

static int cmd_authorize(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *email, *pf;
    char *pass = NULL;
    ra *r = NULL;
    ra_actor a;
    ra_signer *sg = NULL;
    sertel_err err = {0};
    int rc;

    ra_actor_local_admin(&a);
    if ((rc = parse(argc, argv, 1, " email passphrase-file otp ", " ", &o)) != EXIT_OK ||
        (rc = need(&o, "email", &email, "authorize")) != EXIT_OK ||
        (rc = need(&o, "passphrase-file", &pf, "authorize")) != EXIT_OK ||
        (rc = read_pass(pf, &pass)) != EXIT_OK)
        return rc;
    if ((rc = open_ra(g, &r)) == EXIT_OK) {
        rc = ra_sign_authorize(r, &a, email, pass, get(&o, "otp"), &sg, &err);
        if (rc == SERTEL_OK) {
            char serial[41] = "?";
            if (ca_serial_hex(sg->cert, serial, sizeof(serial)) != SERTEL_OK)
                serial[0] = '?', serial[1] = '\0';
            printf("authorized: %s may sign with certificate %s\n", email, serial);
            ra_close(r);
            rc = EXIT_OK;
        } else if (rc == SERTEL_ERR_DENIED) {
            fprintf(stderr, "sertel: %s\n", err.msg);
            ra_close(r);
            rc = EXIT_NEGATIVE;
        } else {
            rc = done(r, rc, &err);
        }
    }
    ra_signer_free(sg);
    secret_free(pass);
    return rc;
}

static int cmd_totp(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *email, *pf;
    char *pass = NULL, uri[TOTP_URI_MAX];
    ra *r = NULL;
    ra_actor a;
    sertel_err err = {0};
    int rc;

    if (argc >= 2 && strcmp(argv[1], "reset") == 0) {
        if ((rc = parse(argc, argv, 2, " email verifier ", " ", &o)) != EXIT_OK ||
            (rc = need(&o, "email", &email, "totp reset")) != EXIT_OK ||
            (rc = open_as(g, get(&o, "verifier"), &r, &a)) != EXIT_OK)
            return rc;
        rc = ra_totp_reset(r, &a, email, &err);
        if (rc == SERTEL_OK)
            printf("the authenticator of %s was removed: the owner enrols a new one with the "
                   "passphrase (sertel totp enroll)\n",
                   email);
        return done(r, rc, &err);
    }
    if (argc < 2 || strcmp(argv[1], "enroll") != 0)
        return cli_usage_error("usage: sertel totp enroll --email E --passphrase-file F [--otp "
                               "CODE] | totp reset --email E [--verifier V]");
    if ((rc = parse(argc, argv, 2, " email passphrase-file otp ", " ", &o)) != EXIT_OK ||
        (rc = need(&o, "email", &email, "totp enroll")) != EXIT_OK ||
        (rc = need(&o, "passphrase-file", &pf, "totp enroll")) != EXIT_OK ||
        (rc = read_pass(pf, &pass)) != EXIT_OK)
        return rc;
    ra_actor_local_admin(&a);
    if ((rc = open_ra(g, &r)) == EXIT_OK) {
        rc = ra_totp_enroll(r, &a, email, pass, get(&o, "otp"), uri, sizeof(uri), &err);
        if (rc == SERTEL_OK) {
            printf("%s\n", uri);
            sodium_memzero(uri, sizeof(uri));
            ra_close(r);
            rc = EXIT_OK;
        } else if (rc == SERTEL_ERR_DENIED) {
            fprintf(stderr, "sertel: %s\n", err.msg);
            ra_close(r);
            rc = EXIT_NEGATIVE;
        } else {
            rc = done(r, rc, &err);
        }
    }
    secret_free(pass);
    return rc;
}

static int cmd_otp(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *email;
    ra_actor a;
    ra *r = NULL;
    sertel_err err = {0};
    int rc;

    if (argc < 2 || strcmp(argv[1], "send") != 0)
        return cli_usage_error("usage: sertel otp send --email E");
    if ((rc = parse(argc, argv, 2, " email ", " ", &o)) != EXIT_OK ||
        (rc = need(&o, "email", &email, "otp send")) != EXIT_OK)
        return rc;
    if ((rc = open_ra(g, &r)) != EXIT_OK)
        return rc;
    ra_actor_local_admin(&a);
    rc = ra_email_otp_send(r, &a, email, &err);
    if (rc == SERTEL_OK)
        printf("if %s is registered, a one-time code was mailed to it\n", email);
    return done(r, rc, &err);
}

static int cmd_unlock(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *email;
    ra *r = NULL;
    ra_actor a;
    sertel_err err = {0};
    int rc;

    if ((rc = parse(argc, argv, 1, " email verifier ", " ", &o)) != EXIT_OK ||
        (rc = need(&o, "email", &email, "unlock")) != EXIT_OK)
        return rc;
    if ((rc = open_as(g, get(&o, "verifier"), &r, &a)) != EXIT_OK)
        return rc;
    rc = ra_unlock(r, &a, email, &err);
    if (rc == SERTEL_OK)
        printf("signing unlocked for %s\n", email);
    return done(r, rc, &err);
}

static int cmd_status(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *nik;
    ra *r = NULL;
    ra_status st;
    sertel_err err = {0};
    int rc;

    if ((rc = parse(argc, argv, 1, " nik ", " json ", &o)) != EXIT_OK ||
        (rc = need(&o, "nik", &nik, "status")) != EXIT_OK)
        return rc;
    if ((rc = open_ra(g, &r)) != EXIT_OK)
        return rc;
    rc = ra_status_by_nik(r, nik, &st, &err);
    if (rc == SERTEL_OK) {
        if (get(&o, "json") != NULL)
            /* BSrE's shape: 1111 when a certificate exists in some state, 1110 otherwise. */
            printf("{\"status_code\":%d,\"status\":\"%s\"}\n",
                   st == RA_STATUS_NOT_REGISTERED ? 1110 : 1111, ra_status_name(st));
        else
            printf("%s\n", ra_status_name(st));
    }
    return done(r, rc, &err);
}

static int cmd_notify(const cli_global *g, int argc, char **argv)
{
    opts o;
    ra *r = NULL;
    sertel_err err = {0};
    int rc, sent = 0;

    if ((rc = parse(argc, argv, 1, " ", " ", &o)) != EXIT_OK)
        return rc;
    if ((rc = open_ra(g, &r)) != EXIT_OK)
        return rc;
    rc = ra_notify(r, time(NULL), &sent, &err);
    if (rc == SERTEL_OK)
        printf("%d reminder(s) sent\n", sent);
    return done(r, rc, &err);
}

static int cmd_password(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *email, *pf;
    char *pw = NULL;
    ra *r = NULL;
    ra_actor a;
    sertel_err err = {0};
    int rc;

    if (argc < 2 || strcmp(argv[1], "set") != 0)
        return cli_usage_error("usage: sertel password set --email E --password-file F");
    if ((rc = parse(argc, argv, 2, " email password-file ", " ", &o)) != EXIT_OK ||
        (rc = need(&o, "email", &email, "password set")) != EXIT_OK ||
        (rc = need(&o, "password-file", &pf, "password set")) != EXIT_OK ||
        (rc = read_pass(pf, &pw)) != EXIT_OK)
        return rc;
    ra_actor_local_admin(&a);
    if ((rc = open_ra(g, &r)) == EXIT_OK) {
        rc = ra_password_set(r, &a, email, pw, &err);
        if (rc == SERTEL_OK)
            printf("the login password of %s is set; its sessions ended\n", email);
        rc = done(r, rc, &err);
    }
    secret_free(pw);
    return rc;
}

static int print_client(const ra_client *c, void *arg)
{
    char sc[64];
    json_t *arr = arg;

    ra_scopes_name(c->scopes, sc, sizeof(sc));
    if (arr != NULL)
        return json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:s, s:b, s:b, s:I}", "id",
                                                    c->id, "agency", (json_int_t)c->agency_id,
                                                    "name", c->name, "scopes", sc, "disabled",
                                                    c->disabled, "vouches_login", c->vouches_login,
                                                    "created_at", (json_int_t)c->created_at));
    printf("%-28s %-6lld %-9s %-28s %s\n", c->id, (long long)c->agency_id,
           c->disabled ? "disabled" : "active", sc, c->name);
    return 0;
}

static int cmd_client(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *sub = argc >= 2 ? argv[1] : "", *ag, *name, *sc;
    char id[40], secret[RA_CLIENT_SECRET_LEN + 1];
    int64_t agency = 0;
    unsigned scopes = 0;
    ra *r = NULL;
    ra_actor a;
    sertel_err err = {0};
    int rc;

    ra_actor_local_admin(&a);
    if (strcmp(sub, "add") == 0) {
        if ((rc = parse(argc, argv, 2, " agency name scopes ", " vouches-login ", &o)) != EXIT_OK ||
            (rc = need(&o, "agency", &ag, "client add")) != EXIT_OK ||
            (rc = parse_id(ag, &agency, "--agency")) != EXIT_OK ||
            (rc = need(&o, "name", &name, "client add")) != EXIT_OK ||
            (rc = need(&o, "scopes", &sc, "client add")) != EXIT_OK)
            return rc;
        if (ra_scopes_parse(sc, &scopes, &err) != SERTEL_OK)
            return cli_fail(&err);
        if ((rc = open_ra(g, &r)) != EXIT_OK)
            return rc;
        rc = ra_client_add(r, &a, agency, name, scopes, get(&o, "vouches-login") != NULL, id,
                           secret, &err);
        if (rc == SERTEL_OK)
            printf("client %s added for agency %lld\nsecret: %s\n(the secret is shown only "
                   "this once: give it to the agency's system; HTTP Basic user %s)\n",
                   id, (long long)agency, secret, id);
        if (rc == SERTEL_OK && get(&o, "vouches-login") != NULL)
            printf("it vouches for its users' login as the second factor of their signings "
                   "([signing] second_factor); each such signing is audited with its id\n");
        sodium_memzero(secret, sizeof(secret));
        return done(r, rc, &err);
    }
    if (strcmp(sub, "rotate") == 0 || strcmp(sub, "disable") == 0) {
        if ((rc = parse(argc, argv, 2, " ", " ", &o)) != EXIT_OK)
            return rc;
        if (o.npos != 1)
            return cli_usage_error("client %s: give the client id", sub);
        if ((rc = open_ra(g, &r)) != EXIT_OK)
            return rc;
        if (sub[0] == 'r') {
            rc = ra_client_rotate(r, &a, o.pos[0], secret, &err);
            if (rc == SERTEL_OK)
                printf("client %s has a new secret (the old one no longer works):\n%s\n", o.pos[0],
                       secret);
            sodium_memzero(secret, sizeof(secret));
        } else {
            rc = ra_client_disable(r, &a, o.pos[0], &err);
            if (rc == SERTEL_OK)
                printf("client %s is disabled\n", o.pos[0]);
        }
        return done(r, rc, &err);
    }
    if (strcmp(sub, "list") == 0) {
        json_t *arr = NULL;
        if ((rc = parse(argc, argv, 2, " ", " json ", &o)) != EXIT_OK)
            return rc;
        if (get(&o, "json") != NULL && (arr = json_array()) == NULL)
            return cli_usage_error("out of memory");
        if ((rc = open_ra(g, &r)) != EXIT_OK) {
            json_decref(arr);
            return rc;
        }
        if (arr == NULL)
            printf("%-28s %-6s %-9s %-28s %s\n", "ID", "AGENCY", "STATE", "SCOPES", "NAME");
        rc = ra_client_list(r, &a, print_client, arr, &err);
        if (rc == SERTEL_OK && arr != NULL) {
            char *js = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            if (js != NULL)
                printf("%s\n", js);
            free(js);
        }
        json_decref(arr);
        return done(r, rc, &err);
    }
    return cli_usage_error("usage: sertel client add|list|disable|rotate ...");
}

int cmd_ra(const cli_global *g, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(const cli_global *, int, char **);
    } cmds[] = {
        {"agency", cmd_agency},
        {"account", cmd_account},
        {"register", cmd_register},
        {"email", cmd_email},
        {"apply", cmd_apply},
        {"review", cmd_review},
        {"passphrase", cmd_passphrase},
        {"authorize", cmd_authorize},
        {"totp", cmd_totp},
        {"otp", cmd_otp},
        {"unlock", cmd_unlock},
        {"status", cmd_status},
        {"notify", cmd_notify},
        {"password", cmd_password},
        {"client", cmd_client},
    };
    size_t i;

    if (cli_wants_help(argc, argv)) {
        fputs(ra_usage, stdout);
        return EXIT_OK;
    }
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (strcmp(argv[0], cmds[i].name) == 0)
            return cmds[i].fn(g, argc, argv);
    return -1;
}

int cmd_cert_revoke(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *rs, *inv;
    ra *r = NULL;
    ra_actor a;
    ra_revocation rv = {0, 0, NULL};
    int reason;
    sertel_err err = {0};
    int rc;

    /* argv: cert revoke SERIAL --reason R [--invalidity-date TIME] [--by E] */
    if ((rc = parse(argc, argv, 2, " reason by invalidity-date ", " ", &o)) != EXIT_OK ||
        (rc = need(&o, "reason", &rs, "cert revoke")) != EXIT_OK)
        return rc;
    if ((inv = get(&o, "invalidity-date")) != NULL &&
        num_parse_time(inv, &rv.invalidity_date) != SERTEL_OK)
        return cli_usage_error("cert revoke: --invalidity-date '%.40s' is not a time such as "
                               "2026-12-01T08:00:00Z",
                               inv);
    if (o.npos != 1)
        return cli_usage_error("cert revoke: give exactly one serial number");
    if (ca_reason_parse(rs, &reason) != SERTEL_OK)
        return cli_usage_error("cert revoke: unknown reason '%s': use unspecified, "
                               "keyCompromise, affiliationChanged, superseded, "
                               "cessationOfOperation, certificateHold or privilegeWithdrawn",
                               rs);
    if ((rc = open_as(g, get(&o, "by"), &r, &a)) != EXIT_OK)
        return rc;
    rv.reason = reason;
    rc = ra_cert_revoke(r, &a, o.pos[0], &rv, &err);
    if (rc == SERTEL_OK)
        printf("certificate %s %s (%s)\n", o.pos[0],
               reason == CA_REASON_CERTIFICATE_HOLD ? "suspended" : "revoked",
               ca_reason_name(reason));
    return done(r, rc, &err);
}
