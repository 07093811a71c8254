/*
 * cmd_ra.c - the registration-authority commands: agencies, accounts,
 * registration, applications, review, passphrases, signing authorization,
 * status and housekeeping. Each one parses options and calls one ra_*
 * function (lib/ra/ra.h), then says what happened: a sentence by default,
 * only the new id with --quiet, one JSON document with --json (stable
 * field names, RFC 3339 UTC times). Every command and subcommand has its
 * own --help (the table at the end). Secrets are never arguments: they are
 * asked on the terminal without echo, or read from a file or standard
 * input (cli_secret.c).
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
#define MAX_OPTS 24
#define UPLOAD_FILE_MAX (64 * 1024 * 1024)

/* Options are "--name value" pairs and "--flag"s; anything else is positional. */
typedef struct opts {
    const char *names[MAX_OPTS];
    const char *values[MAX_OPTS];
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
            if (o->n >= MAX_OPTS)
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
        if (o->n >= MAX_OPTS)
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

/* --- how results are told --- */

typedef enum out_mode {
    OUT_TEXT,  /* a sentence */
    OUT_QUIET, /* only the new id (or serial) */
    OUT_JSON,  /* one JSON document */
} out_mode;

/* --quiet / --json of o (the flags must be in the command's flag list). */
static int mode_of(const opts *o, out_mode *m)
{
    int q = get(o, "quiet") != NULL, j = get(o, "json") != NULL;

    if (q && j)
        return cli_usage_error("give --quiet or --json, not both");
    *m = j ? OUT_JSON : q ? OUT_QUIET : OUT_TEXT;
    return EXIT_OK;
}

/* RFC 3339 UTC ("2026-12-07T10:00:00Z"); "" for 0. */
static const char *utc(int64_t t, char buf[32])
{
    time_t tt = (time_t)t;
    struct tm tm;

    buf[0] = '\0';
    if (t != 0 && (gmtime_r(&tt, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0))
        snprintf(buf, 32, "?");
    return buf;
}

/* A JSON time, or null for 0. */
static json_t *jtime(int64_t t)
{
    char b[32];

    return t != 0 ? json_string(utc(t, b)) : json_null();
}

/* A JSON string, or null for "". */
static json_t *jstr_or_null(const char *s)
{
    return s != NULL && s[0] ? json_string(s) : json_null();
}

/* Print v (taken over) as one JSON document on stdout. */
static int print_json(json_t *v)
{
    char *s = v != NULL ? json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    int rc = EXIT_OK;

    if (s == NULL)
        rc = cli_usage_error("out of memory");
    else if (puts(s) < 0 || fflush(stdout) != 0)
        rc = cli_usage_error("cannot write to stdout");
    free(s);
    json_decref(v);
    return rc;
}

/*
 * A listing: JSON objects into an array (--json), or text rows kept until
 * the listing succeeded, so that a refusal prints no header.
 */
typedef struct lister {
    json_t *arr; /* --json */
    FILE *f;     /* text rows */
    char *buf;
    size_t len;
} lister;

static int lister_open(lister *l, int json)
{
    memset(l, 0, sizeof(*l));
    if (json ? (l->arr = json_array()) == NULL : (l->f = open_memstream(&l->buf, &l->len)) == NULL)
        return cli_usage_error("out of memory");
    return EXIT_OK;
}

/* After the listing: on success the header and rows (or the JSON array); frees l either way. */
static int lister_close(lister *l, int ok, const char *header)
{
    int rc = EXIT_OK;

    if (l->f != NULL && fclose(l->f) != 0)
        ok = 0, rc = cli_usage_error("out of memory");
    if (ok && l->arr != NULL) {
        rc = print_json(l->arr);
        l->arr = NULL;
    } else if (ok) {
        fputs(header, stdout);
        if (l->len > 0 && fwrite(l->buf, 1, l->len, stdout) != l->len)
            rc = cli_usage_error("cannot write to stdout");
        if (fflush(stdout) != 0)
            rc = cli_usage_error("cannot write to stdout");
    }
    json_decref(l->arr);
    free(l->buf);
    memset(l, 0, sizeof(*l));
    return rc;
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

/*
 * Open the home's RA (read-only, no keys, for listings) and resolve the
 * acting account (see actor); on failure nothing stays open.
 */
static int open_as_flags(const cli_global *g, int flags, const char *email, ra **r, ra_actor *a)
{
    sertel_err err = {0};
    int rc = EXIT_OK;

    if (ra_open_flags(g->home, flags, r, &err) != SERTEL_OK)
        return cli_fail(&err);
    if ((rc = actor(*r, email, a)) != EXIT_OK) {
        ra_close(*r);
        *r = NULL;
    }
    return rc;
}

static int open_as(const cli_global *g, const char *email, ra **r, ra_actor *a)
{
    return open_as_flags(g, 0, email, r, a);
}

/* Listings read only: the home opened read-only, without its keys. */
static int open_reader(const cli_global *g, const char *email, ra **r, ra_actor *a)
{
    return open_as_flags(g, CA_OPEN_READONLY, email, r, a);
}

/* Close the RA and turn rc into an exit status (printing the error). */
static int done(ra *r, int rc, sertel_err *err)
{
    ra_close(r);
    return rc == SERTEL_OK ? EXIT_OK : cli_fail(err);
}

/*
 * done for a command that made something with an id: on success the
 * sentence (OUT_TEXT), the id alone (OUT_QUIET) or the JSON (taken over).
 */
static int done_said(ra *r, int rc, sertel_err *err, out_mode m, int64_t id, const char *sentence,
                     json_t *js)
{
    if (rc != SERTEL_OK) {
        json_decref(js);
        return done(r, rc, err);
    }
    ra_close(r);
    if (m == OUT_JSON)
        return print_json(js);
    json_decref(js);
    if (m == OUT_QUIET)
        printf("%lld\n", (long long)id);
    else
        printf("%s\n", sentence);
    return fflush(stdout) == 0 ? EXIT_OK : cli_usage_error("cannot write to stdout");
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

/* A secret for a command (cli_secret_get), printing the error. */
static int get_secret(const char *file, const char *opt, const char *what, int flags, char **out)
{
    sertel_err err = {0};

    if (cli_secret_get(file, opt, what, flags, out, &err) != SERTEL_OK)
        return cli_fail(&err);
    return EXIT_OK;
}

/* --- agencies and accounts --- */

static int agency_add(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *name;
    char sentence[1600], doms[1200] = "";
    size_t len = 0;
    ra *r = NULL;
    ra_actor a;
    int64_t id = 0;
    out_mode m;
    json_t *js, *arr;
    sertel_err err = {0};
    int rc, i;

    if ((rc = parse(argc, argv, 2, " name domain by ", " quiet json ", &o)) != EXIT_OK ||
        (rc = mode_of(&o, &m)) != EXIT_OK ||
        (rc = need(&o, "name", &name, "agency add")) != EXIT_OK)
        return rc;
    if (o.ndomains == 0)
        return cli_usage_error("agency add: give the official e-mail domain with --domain");
    if (o.npos != 0)
        return cli_usage_error("agency add: unexpected argument '%s'", o.pos[0]);
    if ((rc = open_as(g, get(&o, "by"), &r, &a)) != EXIT_OK)
        return rc;
    rc = ra_agency_add(r, &a, name, o.domains, (size_t)o.ndomains, &id, &err);
    arr = json_array();
    for (i = 0; i < o.ndomains; i++) {
        int n = snprintf(doms + len, sizeof(doms) - len, "%s%s", i ? ", " : "", o.domains[i]);
        if (n > 0 && (size_t)n < sizeof(doms) - len)
            len += (size_t)n;
        json_array_append_new(arr, json_string(o.domains[i]));
    }
    snprintf(sentence, sizeof(sentence),
             "registered agency %s (agency %lld); official e-mail domain%s: %s", name,
             (long long)id, o.ndomains > 1 ? "s" : "", doms);
    js = json_pack("{s:I, s:s, s:o}", "id", (json_int_t)id, "name", name, "domains", arr);
    return done_said(r, rc, &err, m, id, sentence, js);
}

static int print_agency(const ra_agency *ag, void *arg)
{
    lister *l = arg;
    json_t *arr = l->arr;
    char when[32], doms[1024];
    size_t i, len = 0;

    if (arr != NULL) {
        json_t *d = json_array();
        for (i = 0; d != NULL && i < ag->ndomains; i++)
            json_array_append_new(d, json_string(ag->domains[i]));
        return json_array_append_new(
            arr, json_pack("{s:I, s:s, s:o, s:I, s:I, s:o}", "id", (json_int_t)ag->id, "name",
                           ag->name, "domains", d, "people", (json_int_t)ag->people, "verifiers",
                           (json_int_t)ag->verifiers, "created_at", jtime(ag->created_at)));
    }
    doms[0] = '\0';
    for (i = 0; i < ag->ndomains && len < sizeof(doms); i++) {
        int k = snprintf(doms + len, sizeof(doms) - len, "%s%s", i ? "," : "", ag->domains[i]);
        if (k < 0)
            break;
        len += (size_t)k;
    }
    fprintf(l->f, "%-6lld %-7lld %-9lld %-20.20s %-32s %s\n", (long long)ag->id,
            (long long)ag->people, (long long)ag->verifiers, utc(ag->created_at, when), doms,
            ag->name);
    return 0;
}

static int agency_list(const cli_global *g, int argc, char **argv)
{
    opts o;
    ra *r = NULL;
    ra_actor a;
    lister l;
    sertel_err err = {0};
    int rc;

    if ((rc = parse(argc, argv, 2, " by ", " json ", &o)) != EXIT_OK)
        return rc;
    if (o.npos != 0)
        return cli_usage_error("agency list: unexpected argument '%s'", o.pos[0]);
    if ((rc = lister_open(&l, get(&o, "json") != NULL)) != EXIT_OK)
        return rc;
    if ((rc = open_reader(g, get(&o, "by"), &r, &a)) != EXIT_OK) {
        lister_close(&l, 0, "");
        return rc;
    }
    rc = ra_agency_list(r, &a, print_agency, &l, &err);
    ra_close(r);
    if (rc != SERTEL_OK) {
        lister_close(&l, 0, "");
        return cli_fail(&err);
    }
    {
        char header[256];
        snprintf(header, sizeof(header), "%-6s %-7s %-9s %-20s %-32s %s\n", "ID", "PEOPLE",
                 "VERIFIERS", "REGISTERED (UTC)", "DOMAINS", "NAME");
        return lister_close(&l, 1, header);
    }
}

static int account_add(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *role, *email, *name, *ag;
    char sentence[1200], where[64] = "";
    ra *r = NULL;
    ra_actor a;
    int64_t agency = 0, id = 0;
    out_mode m;
    sertel_err err = {0};
    int rc;

    if ((rc = parse(argc, argv, 2, " role agency email name by ", " quiet json ", &o)) != EXIT_OK ||
        (rc = mode_of(&o, &m)) != EXIT_OK ||
        (rc = need(&o, "role", &role, "account add")) != EXIT_OK ||
        (rc = need(&o, "email", &email, "account add")) != EXIT_OK ||
        (rc = need(&o, "name", &name, "account add")) != EXIT_OK)
        return rc;
    if ((ag = get(&o, "agency")) != NULL && (rc = parse_id(ag, &agency, "--agency")) != EXIT_OK)
        return rc;
    if ((rc = open_as(g, get(&o, "by"), &r, &a)) != EXIT_OK)
        return rc;
    rc = ra_account_add(r, &a, role, agency, email, name, &id, &err);
    if (agency != 0)
        snprintf(where, sizeof(where), " for agency %lld", (long long)agency);
    snprintf(sentence, sizeof(sentence),
             "added %s %s <%s> (account %lld)%s; to use the API they set a login password "
             "(sertel password set --email %s) and log in with an authenticator",
             role, name, email, (long long)id, where, email);
    return done_said(r, rc, &err, m, id, sentence,
                     json_pack("{s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t)id, "role", role,
                               "email", email, "name", name, "agency",
                               agency ? json_integer(agency) : json_null()));
}

static json_t *account_json(const ra_account *ac)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:b, s:b}", "id", (json_int_t)ac->id,
                          "email", ac->email, "name", ac->name, "role", ac->role, "agency",
                          ac->agency_id ? json_integer(ac->agency_id) : json_null(), "created_at",
                          jtime(ac->created_at), "login_password", ac->password_set,
                          "authenticator", ac->factor_enrolled);

    if (o == NULL)
        return NULL;
    json_object_set_new(
        o, "person",
        ac->person ? json_pack("{s:s, s:s, s:s, s:b, s:s, s:o, s:b}", "nik", ac->nik, "unit",
                               ac->unit, "position", ac->position, "email_confirmed",
                               ac->email_confirmed, "status", ac->status, "certificate",
                               jstr_or_null(ac->cert_serial), "signing_locked", ac->signing_locked)
                   : json_null());
    return o;
}

static int print_account(const ra_account *ac, void *arg)
{
    lister *l = arg;
    json_t *arr = l->arr;
    char agency[24];

    if (arr != NULL)
        return json_array_append_new(arr, account_json(ac));
    snprintf(agency, sizeof(agency), "%lld", (long long)ac->agency_id);
    fprintf(l->f, "%-6lld %-9s %-6s %-24s %-16s %-32s %s%s\n", (long long)ac->id, ac->role,
            ac->agency_id ? agency : "-", ac->person ? ac->status : "-", ac->person ? ac->nik : "-",
            ac->email, ac->name, ac->person && ac->signing_locked ? "  [signing locked]" : "");
    return 0;
}

static int account_list(const cli_global *g, int argc, char **argv)
{
    opts o;
    ra *r = NULL;
    ra_actor a;
    lister l;
    sertel_err err = {0};
    int rc;

    if ((rc = parse(argc, argv, 2, " by ", " json ", &o)) != EXIT_OK)
        return rc;
    if (o.npos != 0)
        return cli_usage_error("account list: unexpected argument '%s'", o.pos[0]);
    if ((rc = lister_open(&l, get(&o, "json") != NULL)) != EXIT_OK)
        return rc;
    if ((rc = open_reader(g, get(&o, "by"), &r, &a)) != EXIT_OK) {
        lister_close(&l, 0, "");
        return rc;
    }
    rc = ra_account_list(r, &a, NULL, print_account, &l, NULL, &err);
    ra_close(r);
    if (rc != SERTEL_OK) {
        lister_close(&l, 0, "");
        return cli_fail(&err);
    }
    {
        char header[256];
        snprintf(header, sizeof(header), "%-6s %-9s %-6s %-24s %-16s %-32s %s\n", "ID", "ROLE",
                 "AGENCY", "STATUS", "NIK", "EMAIL", "NAME");
        return lister_close(&l, 1, header);
    }
}

/* --- registration and logins --- */

static int cmd_register(const cli_global *g, int argc, char **argv)
{
    opts o;
    ra_registration reg;
    const char *ag;
    char sentence[1200];
    ra *r = NULL;
    ra_actor a;
    int64_t id = 0;
    out_mode m;
    sertel_err err = {0};
    int rc;

    memset(&reg, 0, sizeof(reg));
    if ((rc = parse(argc, argv, 1, " agency name nik email unit position by ", " quiet json ",
                    &o)) != EXIT_OK ||
        (rc = mode_of(&o, &m)) != EXIT_OK ||
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
    snprintf(sentence, sizeof(sentence),
             "registered %s (account %lld) for agency %lld; confirmation mailed to %s (the token "
             "in it confirms the address: sertel email confirm --token T)",
             reg.name, (long long)id, (long long)reg.agency_id, reg.email);
    return done_said(r, rc, &err, m, id, sentence,
                     json_pack("{s:I, s:s, s:s, s:I, s:s}", "id", (json_int_t)id, "name", reg.name,
                               "email", reg.email, "agency", (json_int_t)reg.agency_id,
                               "confirmation_mailed_to", reg.email));
}

static int email_confirm(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *token, *pf;
    char *pw = NULL;
    ra *r = NULL;
    sertel_err err = {0};
    out_mode m;
    int rc;

    if ((rc = parse(argc, argv, 2, " token password-file ", " json ", &o)) != EXIT_OK ||
        (rc = mode_of(&o, &m)) != EXIT_OK ||
        (rc = need(&o, "token", &token, "email confirm")) != EXIT_OK)
        return rc;
    /* The login password: from the file, or asked on a terminal (Enter alone: later). */
    pf = get(&o, "password-file");
    if ((rc = get_secret(pf, "--password-file", "login password",
                         CLI_SECRET_NEW | CLI_SECRET_OPTIONAL, &pw)) != EXIT_OK)
        return rc;
    if ((rc = open_ra(g, &r)) != EXIT_OK) {
        secret_free(pw);
        return rc;
    }
    rc = ra_email_confirm_password(r, token, pw, &err);
    if (rc == SERTEL_OK && m == OUT_JSON) {
        ra_close(r);
        rc = print_json(json_pack("{s:b, s:b}", "confirmed", 1, "password_set", pw != NULL));
    } else {
        if (rc == SERTEL_OK)
            printf("e-mail address confirmed; %s\n",
                   pw ? "the login password is set"
                      : "no login password yet (sertel password set --email E)");
        rc = done(r, rc, &err);
    }
    secret_free(pw);
    return rc;
}

static int password_set(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *email;
    char *pw = NULL;
    ra *r = NULL;
    ra_actor a;
    sertel_err err = {0};
    int rc;

    if ((rc = parse(argc, argv, 2, " email password-file ", " ", &o)) != EXIT_OK ||
        (rc = need(&o, "email", &email, "password set")) != EXIT_OK ||
        (rc = get_secret(get(&o, "password-file"), "--password-file", "login password",
                         CLI_SECRET_NEW, &pw)) != EXIT_OK)
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

/* --- applications --- */

static int apply_said(ra *r, int rc, sertel_err *err, out_mode m, int64_t id, const char *kind,
                      const char *email, const char *extra)
{
    char sentence[1200];

    snprintf(sentence, sizeof(sentence),
             "application %lld submitted: %s for %s; the agency's verifier decides it (sertel "
             "review show %lld)%s",
             (long long)id, kind, email, (long long)id, extra);
    return done_said(r, rc, err, m, id, sentence,
                     json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "kind", kind, "state",
                               "pending", "email", email));
}

static int cmd_apply(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *email, *kind = argv[1];
    ra *r = NULL;
    ra_actor a;
    int64_t id = 0;
    out_mode m;
    sertel_err err = {0};
    int rc;

    if ((rc = parse(argc, argv, 2, " email letter ktp reason invalidity-date note ", " quiet json ",
                    &o)) != EXIT_OK ||
        (rc = mode_of(&o, &m)) != EXIT_OK || (rc = need(&o, "email", &email, "apply")) != EXIT_OK)
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
            rc = apply_said(r, rc, &err, m, id, "issuance", email, "");
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
        return apply_said(r, rc, &err, m, id, "renewal", email, "");
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
        return apply_said(r, rc, &err, m, id, "revocation", email,
                          rv.reason == CA_REASON_KEY_COMPROMISE
                              ? "; the certificate is suspended until then (keyCompromise)"
                              : "");
    }
    if (strcmp(kind, "withdraw") == 0) {
        char sentence[160];
        if (o.npos != 1)
            return cli_usage_error("apply withdraw: give the application id");
        if ((rc = parse_id(o.pos[0], &id, "the application id")) != EXIT_OK)
            return rc;
        if ((rc = open_ra(g, &r)) != EXIT_OK)
            return rc;
        rc = ra_withdraw(r, &a, email, id, &err);
        snprintf(sentence, sizeof(sentence), "application %lld withdrawn", (long long)id);
        return done_said(r, rc, &err, m, id, sentence,
                         json_pack("{s:I, s:s}", "id", (json_int_t)id, "state", "withdrawn"));
    }
    return cli_usage_error("apply: unknown kind '%s' (issuance, renewal, revocation, withdraw)",
                           kind);
}

/* --- review --- */

static json_t *application_json(const ra_application *a)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o}", "id",
                     (json_int_t)a->id, "kind", a->kind, "state", a->state, "name", a->name,
                     "email", a->email, "nik", a->nik, "agency", (json_int_t)a->agency_id,
                     "submitted_at", jtime(a->created_at), "reason",
                     a->reason >= 0 ? json_string(ca_reason_name(a->reason)) : json_null(),
                     "invalidity_date", jtime(a->invalidity_date), "note", jstr_or_null(a->note),
                     "certificate", jstr_or_null(a->cert_serial));
}

static int print_app(const ra_application *a, void *arg)
{
    lister *l = arg;
    json_t *arr = l->arr;
    char when[32];

    if (arr != NULL)
        return json_array_append_new(arr, application_json(a));
    fprintf(l->f, "%-6lld %-10s %-8s %-6lld %-16s %-32s %-20s %s%s%s\n", (long long)a->id, a->kind,
            a->state, (long long)a->agency_id, a->nik, a->email, utc(a->created_at, when), a->name,
            a->reason >= 0 ? "  reason=" : "", a->reason >= 0 ? ca_reason_name(a->reason) : "");
    return 0;
}

static int review_list(const cli_global *g, int argc, char **argv)
{
    opts o;
    ra *r = NULL;
    ra_actor a;
    lister l;
    sertel_err err = {0};
    int rc;

    if ((rc = parse(argc, argv, 2, " verifier by ", " json ", &o)) != EXIT_OK)
        return rc;
    if (o.npos != 0)
        return cli_usage_error("review list: unexpected argument '%s'", o.pos[0]);
    if ((rc = lister_open(&l, get(&o, "json") != NULL)) != EXIT_OK)
        return rc;
    if ((rc = open_reader(g, get(&o, "verifier") ? get(&o, "verifier") : get(&o, "by"), &r, &a)) !=
        EXIT_OK) {
        lister_close(&l, 0, "");
        return rc;
    }
    rc = ra_review_list(r, &a, print_app, &l, &err);
    ra_close(r);
    if (rc != SERTEL_OK) {
        lister_close(&l, 0, "");
        return cli_fail(&err);
    }
    {
        char header[256];
        snprintf(header, sizeof(header), "%-6s %-10s %-8s %-6s %-16s %-32s %-20s %s\n", "ID",
                 "KIND", "STATE", "AGENCY", "NIK", "EMAIL", "SUBMITTED (UTC)", "NAME");
        return lister_close(&l, 1, header);
    }
}

static int add_history(const ra_app_step *h, void *arg)
{
    return json_array_append_new(arg, json_pack("{s:o, s:s, s:s, s:s, s:s?}", "time", jtime(h->at),
                                                "actor", h->actor, "event", h->event, "state",
                                                h->state, "note", h->note[0] ? h->note : NULL));
}

static int review_show(const cli_global *g, int argc, char **argv)
{
    opts o;
    ra *r = NULL;
    ra_actor a;
    ra_application app;
    ra_account person;
    ra_document docs[2];
    int64_t id = 0;
    size_t ndocs = 0, i;
    char nodocs[sizeof(((sertel_err *)0)->msg)] = "";
    json_t *js = NULL, *hist = NULL, *jd = NULL;
    sertel_err err = {0};
    int rc;

    if ((rc = parse(argc, argv, 2, " verifier by ", " json ", &o)) != EXIT_OK)
        return rc;
    if (o.npos != 1)
        return cli_usage_error("review show: give the application id");
    if ((rc = parse_id(o.pos[0], &id, "the application id")) != EXIT_OK)
        return rc;
    if ((rc = open_reader(g, get(&o, "verifier") ? get(&o, "verifier") : get(&o, "by"), &r, &a)) !=
        EXIT_OK)
        return rc;
    if ((hist = json_array()) == NULL || (jd = json_array()) == NULL) {
        rc = sertel_err_set(&err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = ra_application_get(r, &a, id, &app, &err)) != SERTEL_OK ||
        (rc = ra_application_history(r, &a, id, add_history, hist, &err)) != SERTEL_OK)
        goto out;
    /* The documents for those who decide (RA_ACT_APPLICATION_DOCS); others see why not. */
    rc = ra_application_documents(r, &a, id, docs, &ndocs, &err);
    if (rc == SERTEL_ERR_DENIED) {
        snprintf(nodocs, sizeof(nodocs), "%s", err.msg);
        sertel_err_clear(&err);
        json_decref(jd);
        jd = json_null();
    } else if (rc != SERTEL_OK) {
        goto out;
    }
    if ((rc = ra_account_get(r, &a, app.account_id, &person, &err)) != SERTEL_OK)
        goto out;
    for (i = 0; i < ndocs; i++)
        json_array_append_new(jd, json_pack("{s:s, s:s, s:I, s:s}", "kind", docs[i].kind, "sha256",
                                            docs[i].sha256, "size", (json_int_t)docs[i].size,
                                            "path", docs[i].path));
    if ((js = application_json(&app)) == NULL) {
        rc = sertel_err_set(&err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    json_object_set_new(js, "person", account_json(&person));
    json_object_set(js, "documents", jd);
    json_object_set(js, "history", hist);
    if (get(&o, "json") != NULL) {
        ra_close(r);
        json_decref(hist);
        json_decref(jd);
        return print_json(js);
    }
    {
        char t1[32], t2[32];
        size_t k;
        json_t *h;
        printf("application %lld: %s, %s\n", (long long)app.id, app.kind, app.state);
        printf("  submitted:    %s\n", utc(app.created_at, t1));
        if (app.reason >= 0)
            printf("  reason:       %s\n", ca_reason_name(app.reason));
        if (app.invalidity_date != 0)
            printf("  invalid from: %s\n", utc(app.invalidity_date, t2));
        if (app.note[0])
            printf("  note:         %s\n", app.note);
        if (app.cert_serial[0])
            printf("  certificate:  %s\n", app.cert_serial);
        printf("\nperson (account %lld)\n", (long long)person.id);
        printf("  name:         %s\n  e-mail:       %s%s\n", person.name, person.email,
               person.email_confirmed ? " (confirmed)" : " (not confirmed)");
        printf("  NIK:          %s\n  agency:       %lld\n  unit:         %s\n"
               "  position:     %s\n  status:       %s%s\n",
               person.nik, (long long)person.agency_id, person.unit, person.position, person.status,
               person.signing_locked ? " (signing locked)" : "");
        if (person.cert_serial[0])
            printf("  certificate:  %s\n", person.cert_serial);
        printf("\ndocuments\n");
        if (nodocs[0])
            printf("  (not shown: %s)\n", nodocs);
        else if (ndocs == 0)
            printf("  (none: a %s application has no documents)\n", app.kind);
        for (i = 0; i < ndocs; i++)
            printf("  %-7s %lld bytes, sha256 %s\n          %s\n",
                   strcmp(docs[i].kind, "ktp") == 0 ? "e-KTP" : "letter", (long long)docs[i].size,
                   docs[i].sha256, docs[i].path);
        printf("\nhistory\n");
        json_array_foreach(hist, k, h)
        {
            const char *note = json_string_value(json_object_get(h, "note"));
            printf("  %s  %-12s -> %-10s %-28s %s\n", json_string_value(json_object_get(h, "time")),
                   json_string_value(json_object_get(h, "event")),
                   json_string_value(json_object_get(h, "state")),
                   json_string_value(json_object_get(h, "actor")), note ? note : "");
        }
    }
    json_decref(js);
    js = NULL;
out:
    json_decref(js);
    json_decref(hist);
    json_decref(jd);
    return done(r, rc, &err);
}

static int review_decide(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *sub = argv[1];
    char sentence[1200];
    ra *r = NULL;
    ra_actor a;
    ra_application app;
    int64_t id = 0;
    out_mode m;
    sertel_err err = {0}, err2 = {0};
    ra_decision d = strcmp(sub, "approve") == 0  ? RA_APPROVE
                    : strcmp(sub, "reject") == 0 ? RA_REJECT
                                                 : RA_RETURN;
    int rc;

    if ((rc = parse(argc, argv, 2, " verifier by reason ", " quiet json ", &o)) != EXIT_OK ||
        (rc = mode_of(&o, &m)) != EXIT_OK)
        return rc;
    if (o.npos != 1)
        return cli_usage_error("review %s: give the application id", sub);
    if ((rc = parse_id(o.pos[0], &id, "the application id")) != EXIT_OK)
        return rc;
    if ((rc = open_as(g, get(&o, "verifier") ? get(&o, "verifier") : get(&o, "by"), &r, &a)) !=
        EXIT_OK)
        return rc;
    rc = ra_review_decide(r, &a, id, d, get(&o, "reason"), &err);
    /* What the decision did, read back as the decider sees it. */
    memset(&app, 0, sizeof(app));
    if (rc == SERTEL_OK && ra_application_get(r, &a, id, &app, &err2) != SERTEL_OK)
        snprintf(app.state, sizeof(app.state), "%s",
                 d == RA_APPROVE  ? "approved"
                 : d == RA_REJECT ? "rejected"
                                  : "returned");
    if (d == RA_APPROVE && strcmp(app.kind, "revocation") == 0)
        snprintf(sentence, sizeof(sentence),
                 "application %lld approved: certificate %s of %s revoked (%s) and its key "
                 "destroyed; %s was told",
                 (long long)id, app.cert_serial, app.email, ca_reason_name(app.reason), app.email);
    else if (d == RA_APPROVE)
        snprintf(sentence, sizeof(sentence),
                 "application %lld approved (%s for %s): the link to create the passphrase was "
                 "mailed to %s",
                 (long long)id, app.kind, app.email, app.email);
    else
        snprintf(sentence, sizeof(sentence), "application %lld %s (%s for %s); %s was told why",
                 (long long)id, d == RA_REJECT ? "rejected" : "returned for revision", app.kind,
                 app.email, app.email);
    return done_said(r, rc, &err, m, id, sentence,
                     json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)id, "kind", app.kind,
                               "decision", sub, "state", app.state, "applicant", app.email));
}

/* --- passphrase, signing authorization, second factors --- */

static int passphrase_create(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *token;
    char *pass = NULL, serial[41] = "", sentence[400];
    ra *r = NULL;
    ra_actor a;
    out_mode m;
    sertel_err err = {0};
    int rc;

    if ((rc = parse(argc, argv, 2, " token passphrase-file ", " quiet json ", &o)) != EXIT_OK ||
        (rc = mode_of(&o, &m)) != EXIT_OK ||
        (rc = need(&o, "token", &token, "passphrase create")) != EXIT_OK ||
        (rc = get_secret(get(&o, "passphrase-file"), "--passphrase-file", "passphrase",
                         CLI_SECRET_NEW, &pass)) != EXIT_OK)
        return rc;
    ra_actor_local_admin(&a);
    if ((rc = open_ra(g, &r)) == EXIT_OK) {
        rc = ra_passphrase_create(r, &a, token, pass, serial, &err);
        snprintf(sentence, sizeof(sentence),
                 "certificate %s issued; its key is protected by the passphrase, of which sertel "
                 "keeps no copy (lost: the certificate is revoked and a new one applied for)",
                 serial);
        if (rc == SERTEL_OK && m == OUT_QUIET) {
            ra_close(r);
            printf("%s\n", serial);
            rc = EXIT_OK;
        } else {
            rc = done_said(r, rc, &err, m == OUT_QUIET ? OUT_TEXT : m, 0, sentence,
                           json_pack("{s:s}", "certificate", serial));
        }
    }
    secret_free(pass);
    return rc;
}

static int cmd_authorize(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *email;
    char *pass = NULL, serial[41] = "?";
    ra *r = NULL;
    ra_actor a;
    ra_signer *sg = NULL;
    out_mode m;
    sertel_err err = {0};
    int rc;

    ra_actor_local_admin(&a);
    if ((rc = parse(argc, argv, 1, " email passphrase-file otp ", " json ", &o)) != EXIT_OK ||
        (rc = mode_of(&o, &m)) != EXIT_OK ||
        (rc = need(&o, "email", &email, "authorize")) != EXIT_OK ||
        (rc = get_secret(get(&o, "passphrase-file"), "--passphrase-file", "passphrase", 0,
                         &pass)) != EXIT_OK)
        return rc;
    if ((rc = open_ra(g, &r)) == EXIT_OK) {
        rc = ra_sign_authorize(r, &a, email, pass, get(&o, "otp"), &sg, &err);
        if (rc == SERTEL_OK) {
            if (ca_serial_hex(sg->cert, serial, sizeof(serial)) != SERTEL_OK)
                snprintf(serial, sizeof(serial), "?");
            ra_close(r);
            if (m == OUT_JSON)
                rc = print_json(json_pack("{s:b, s:s, s:s}", "authorized", 1, "email", email,
                                          "certificate", serial));
            else {
                printf("authorized: %s may sign with certificate %s\n", email, serial);
                rc = EXIT_OK;
            }
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

static int totp_reset(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *email;
    ra *r = NULL;
    ra_actor a;
    sertel_err err = {0};
    int rc;

    if ((rc = parse(argc, argv, 2, " email verifier by ", " ", &o)) != EXIT_OK ||
        (rc = need(&o, "email", &email, "totp reset")) != EXIT_OK ||
        (rc = open_as(g, get(&o, "verifier") ? get(&o, "verifier") : get(&o, "by"), &r, &a)) !=
            EXIT_OK)
        return rc;
    rc = ra_totp_reset(r, &a, email, &err);
    if (rc == SERTEL_OK)
        printf("the authenticator of %s was removed: the owner enrols a new one with the "
               "passphrase (sertel totp enroll)\n",
               email);
    return done(r, rc, &err);
}

static int totp_enroll(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *email;
    char *pass = NULL, uri[TOTP_URI_MAX];
    ra *r = NULL;
    ra_actor a;
    sertel_err err = {0};
    int rc;

    if ((rc = parse(argc, argv, 2, " email passphrase-file otp ", " ", &o)) != EXIT_OK ||
        (rc = need(&o, "email", &email, "totp enroll")) != EXIT_OK ||
        (rc = get_secret(get(&o, "passphrase-file"), "--passphrase-file", "passphrase", 0,
                         &pass)) != EXIT_OK)
        return rc;
    ra_actor_local_admin(&a);
    if ((rc = open_ra(g, &r)) == EXIT_OK) {
        rc = ra_totp_enroll(r, &a, email, pass, get(&o, "otp"), uri, sizeof(uri), &err);
        if (rc == SERTEL_OK) {
            /* The URI alone on stdout (it carries the new secret: for the app, not a file). */
            printf("%s\n", uri);
            sodium_memzero(uri, sizeof(uri));
            fprintf(stderr,
                    "sertel: the authenticator of %s is enrolled: add the otpauth:// "
                    "URI above to the authenticator app (as text or a QR code), then "
                    "forget it\n",
                    email);
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

static int otp_send(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *email;
    ra_actor a;
    ra *r = NULL;
    sertel_err err = {0};
    int rc;

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

    if ((rc = parse(argc, argv, 1, " email verifier by ", " ", &o)) != EXIT_OK ||
        (rc = need(&o, "email", &email, "unlock")) != EXIT_OK)
        return rc;
    if ((rc = open_as(g, get(&o, "verifier") ? get(&o, "verifier") : get(&o, "by"), &r, &a)) !=
        EXIT_OK)
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
    if (o.npos != 0)
        return cli_usage_error("notify: unexpected argument '%s'", o.pos[0]);
    if ((rc = open_ra(g, &r)) != EXIT_OK)
        return rc;
    rc = ra_notify(r, time(NULL), &sent, &err);
    if (rc == SERTEL_OK)
        printf("%d reminder(s) sent\n", sent);
    return done(r, rc, &err);
}

/* --- API clients --- */

static int print_client(const ra_client *c, void *arg)
{
    char sc[64], when[32];
    lister *l = arg;
    json_t *arr = l->arr;

    ra_scopes_name(c->scopes, sc, sizeof(sc));
    if (arr != NULL)
        return json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:s, s:b, s:b, s:o}", "id",
                                                    c->id, "agency", (json_int_t)c->agency_id,
                                                    "name", c->name, "scopes", sc, "disabled",
                                                    c->disabled, "vouches_login", c->vouches_login,
                                                    "created_at", jtime(c->created_at)));
    fprintf(l->f, "%-28s %-6lld %-9s %-28s %-20s %s\n", c->id, (long long)c->agency_id,
            c->disabled ? "disabled" : "active", sc, utc(c->created_at, when), c->name);
    return 0;
}

static int client_add(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *ag, *name, *sc;
    char id[40], secret[RA_CLIENT_SECRET_LEN + 1];
    int64_t agency = 0;
    unsigned scopes = 0;
    ra *r = NULL;
    ra_actor a;
    out_mode m;
    sertel_err err = {0};
    int rc;

    ra_actor_local_admin(&a);
    if ((rc = parse(argc, argv, 2, " agency name scopes ", " vouches-login json ", &o)) !=
            EXIT_OK ||
        (rc = mode_of(&o, &m)) != EXIT_OK ||
        (rc = need(&o, "agency", &ag, "client add")) != EXIT_OK ||
        (rc = parse_id(ag, &agency, "--agency")) != EXIT_OK ||
        (rc = need(&o, "name", &name, "client add")) != EXIT_OK ||
        (rc = need(&o, "scopes", &sc, "client add")) != EXIT_OK)
        return rc;
    if (ra_scopes_parse(sc, &scopes, &err) != SERTEL_OK)
        return cli_fail(&err);
    if ((rc = open_ra(g, &r)) != EXIT_OK)
        return rc;
    rc = ra_client_add(r, &a, agency, name, scopes, get(&o, "vouches-login") != NULL, id, secret,
                       &err);
    if (rc == SERTEL_OK && m == OUT_JSON) {
        json_t *js =
            json_pack("{s:s, s:I, s:s, s:s, s:b}", "id", id, "agency", (json_int_t)agency, "name",
                      name, "secret", secret, "vouches_login", get(&o, "vouches-login") != NULL);
        ra_close(r);
        rc = print_json(js);
        sodium_memzero(secret, sizeof(secret));
        return rc;
    }
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

static int client_change(const cli_global *g, int argc, char **argv)
{
    opts o;
    const char *sub = argv[1];
    char secret[RA_CLIENT_SECRET_LEN + 1];
    ra *r = NULL;
    ra_actor a;
    sertel_err err = {0};
    int rc;

    ra_actor_local_admin(&a);
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

static int client_list(const cli_global *g, int argc, char **argv)
{
    opts o;
    ra *r = NULL;
    ra_actor a;
    lister l;
    sertel_err err = {0};
    int rc;

    ra_actor_local_admin(&a);
    if ((rc = parse(argc, argv, 2, " ", " json ", &o)) != EXIT_OK)
        return rc;
    if ((rc = lister_open(&l, get(&o, "json") != NULL)) != EXIT_OK)
        return rc;
    if ((rc = open_ra(g, &r)) != EXIT_OK) {
        lister_close(&l, 0, "");
        return rc;
    }
    rc = ra_client_list(r, &a, print_client, &l, &err);
    ra_close(r);
    if (rc != SERTEL_OK) {
        lister_close(&l, 0, "");
        return cli_fail(&err);
    }
    {
        char header[256];
        snprintf(header, sizeof(header), "%-28s %-6s %-9s %-28s %-20s %s\n", "ID", "AGENCY",
                 "STATE", "SCOPES", "CREATED (UTC)", "NAME");
        return lister_close(&l, 1, header);
    }
}

/* --- the table: every command, its usage and what it does --- */

typedef struct ra_cmd {
    const char *group; /* argv[0] */
    const char *sub;   /* argv[1], NULL for a command without subcommands */
    const char *brief; /* one line for the lists */
    const char *args;  /* its options, as in the usage line */
    const char *about; /* what it does */
    int (*fn)(const cli_global *g, int argc, char **argv);
} ra_cmd;

#define Q_J "[--quiet | --json]"

static const ra_cmd cmds[] = {
    {"agency", "add", "register an agency and its official e-mail domains",
     "--name NAME --domain DOMAIN [--domain D2 ...] [--by E] " Q_J,
     "Register an agency (instansi) with its official e-mail domains: people of the agency\n"
     "register with an address in one of them. Administrators only. Prints what was\n"
     "registered; --quiet only the new agency's id, --json one object.",
     agency_add},
    {"agency", "list", "the agencies, their domains, people and verifiers", "[--by E] [--json]",
     "The agencies with their domains, the people registered and the verifiers; a\n"
     "verifier (--by) sees only its own agency. --json: an array of objects (id, name,\n"
     "domains, people, verifiers, created_at).",
     agency_list},
    {"account", "add", "add a staff account (verifier, admin, auditor)",
     "--role verifier|admin|auditor [--agency ID] --email E --name NAME [--by E] " Q_J,
     "Add a staff account. A verifier belongs to one agency and uses its e-mail domain;\n"
     "admins and auditors belong to none. Administrators only.",
     account_add},
    {"account", "list", "the accounts: staff, and people with their status", "[--by E] [--json]",
     "The accounts: staff and registered people, with each person's NIK, BSrE status,\n"
     "certificate and signing lock. A verifier (--by) sees its agency's, an applicant\n"
     "only itself. --json: an array of objects (id, email, name, role, agency,\n"
     "created_at, login_password, authenticator, person: {nik, unit, position,\n"
     "email_confirmed, status, certificate, signing_locked} or null).",
     account_list},
    {"register", NULL, "register a person of an agency (mails a confirmation)",
     "--agency ID --name NAME --nik NIK --email E --unit UNIT --position POSITION "
     "[--by E] " Q_J,
     "Register a person of an agency (by an administrator or the agency's verifier):\n"
     "the NIK's shape and the e-mail's domain are checked, and a single-use\n"
     "confirmation token is mailed to the address.",
     cmd_register},
    {"email", "confirm", "confirm the e-mail address and set the login password",
     "--token T [--password-file F|-] [--json]",
     "Confirm the official e-mail address with the token from the confirmation mail,\n"
     "and set the login password for the API: from F's first line, from standard input\n"
     "(-), or asked twice on the terminal without echo (Enter alone: set it later).",
     email_confirm},
    {"password", "set", "set an account's login password", "--email E [--password-file F|-]",
     "Set an account's login password (at least 12 characters; never the signing\n"
     "passphrase): from F, standard input (-) or asked twice on the terminal. Every\n"
     "session of the account ends.",
     password_set},
    {"apply", "issuance", "apply for a certificate (letter and e-KTP)",
     "--email E --letter FILE.pdf --ktp FILE.jpg|png " Q_J,
     "Apply for a certificate on the owner's behalf with the recommendation letter (PDF)\n"
     "and the e-KTP scan (JPEG or PNG), both checked by content; a returned application\n"
     "is resubmitted the same way (same id).",
     cmd_apply},
    {"apply", "renewal", "apply for renewal", "--email E " Q_J,
     "Apply for renewal, from 30 days before the certificate expires.", cmd_apply},
    {"apply", "revocation", "apply for revocation (keyCompromise suspends at once)",
     "--email E --reason REASON [--invalidity-date TIME] [--note TEXT] " Q_J,
     "Apply for revocation: REASON is unspecified, keyCompromise, affiliationChanged,\n"
     "superseded, cessationOfOperation or privilegeWithdrawn. keyCompromise suspends the\n"
     "certificate at once; --invalidity-date says since when the key may have been in\n"
     "other hands (ISO 8601).",
     cmd_apply},
    {"apply", "withdraw", "withdraw an application", "ID --email E " Q_J,
     "Withdraw a pending or returned application.", cmd_apply},
    {"review", "list", "the applications waiting for a decision", "[--verifier E] [--json]",
     "The pending applications the verifier E (default: the local administrator) may\n"
     "decide, oldest first. --json: an array of objects (id, kind, state, name, email,\n"
     "nik, agency, submitted_at, reason, invalidity_date, note, certificate).",
     review_list},
    {"review", "show", "one application: the person, documents and history",
     "ID [--verifier E] [--json]",
     "One application in full: the person (name, NIK, unit, position, status), the\n"
     "documents (size, SHA-256 and where they are stored; for its agency's verifiers\n"
     "and administrators) and its history (submitted, returned, resubmitted, decided,\n"
     "completed, each with the state it left and the reason). --json: one object.",
     review_show},
    {"review", "approve", "approve an application", "ID [--verifier E] [--reason R] " Q_J,
     "Approve: an issuance or renewal mails the owner the link to create the\n"
     "passphrase; a revocation revokes the certificate and destroys its key. A\n"
     "verifier decides only its own agency's applications and never its own.",
     review_decide},
    {"review", "reject", "reject an application, with the reason",
     "ID [--verifier E] --reason R " Q_J, "Reject, with the reason the applicant is told.",
     review_decide},
    {"review", "return", "return an application for revision, with the reason",
     "ID [--verifier E] --reason R " Q_J,
     "Return an issuance application to the applicant for revision, with the reason.",
     review_decide},
    {"passphrase", "create", "create the passphrase: the key made, the certificate issued",
     "--token T [--passphrase-file F|-] " Q_J,
     "Create the passphrase with the token from the approval mail: the key pair is made\n"
     "on the server, its private key encrypted under the passphrase, and the certificate\n"
     "issued. The passphrase is asked twice on the terminal without echo, or read from\n"
     "F's first line or standard input (-); sertel keeps no copy. --quiet prints only\n"
     "the certificate's serial.",
     passphrase_create},
    {"authorize", NULL, "check that an owner may sign (counts as an attempt)",
     "--email E [--passphrase-file F|-] [--otp CODE] [--json]",
     "Check that the owner may sign (counts as a signing attempt, audited): the\n"
     "passphrase (asked on the terminal, or from F or standard input) and, when the home\n"
     "asks for one, the second factor. Exit 0 authorized, 1 not (one answer for every\n"
     "refusal), 2 an error or a missing code.",
     cmd_authorize},
    {"totp", "enroll", "enrol an authenticator app",
     "--email E [--passphrase-file F|-] [--otp CODE]",
     "Enrol an authenticator app (counted like signing): the passphrase, and to replace\n"
     "an enrolled one its current code. Prints the otpauth:// URI with the new secret.\n"
     "Exit 1 when not authorized.",
     totp_enroll},
    {"totp", "reset", "remove a lost authenticator (verifier)", "--email E [--verifier V]",
     "A verifier of the owner's agency (or an administrator) removes a lost\n"
     "authenticator, so that the owner enrols a new one with the passphrase.",
     totp_reset},
    {"otp", "send", "mail a one-time signing code", "--email E",
     "Mail a one-time signing code to the owner ([signing] second_factor = email).", otp_send},
    {"unlock", NULL, "lift a signing lock (verifier)", "--email E [--verifier V]",
     "Lift a signing lock (after wrong passphrases).", cmd_unlock},
    {"status", NULL, "a person's status in BSrE's words, by NIK", "--nik NIK [--json]",
     "A person's status in BSrE's words (ISSUE, NOT_REGISTERED, SUSPEND, ...); --json\n"
     "in BSrE's shape {status_code, status}. A NIK that is not one is an error.",
     cmd_status},
    {"notify", NULL, "housekeeping: expired keys destroyed, reminders mailed", "",
     "Housekeeping, daily: destroy the keys of expired certificates and mail expiry\n"
     "reminders (30 and 7 days before).",
     cmd_notify},
    {"client", "add", "add an agency system as an API client",
     "--agency ID --name N --scopes sign,verify,status,register [--vouches-login] "
     "[--json]",
     "Add an agency system as an API client: its id and a secret shown only this once\n"
     "(HTTP Basic, as BSrE's clients send them). It acts for its own agency's people only.",
     client_add},
    {"client", "list", "the API clients", "[--json]", "The API clients (never their secrets).",
     client_list},
    {"client", "disable", "disable an API client", "ID", "Disable an API client for good.",
     client_change},
    {"client", "rotate", "a new secret for an API client", "ID",
     "A new secret for an API client; the old one stops working.", client_change},
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const char ra_notes[] =
    "Without --by / --verifier a command acts as the local administrator (the operator\n"
    "at this shell); with it, as that account, vouched for by the operator. Owner\n"
    "commands (apply, passphrase, authorize, totp enroll, otp send) act on the owner's\n"
    "behalf; the audit log says so. Secrets are never arguments: they are asked on the\n"
    "terminal without echo, or read from a file or standard input (-). TIME is ISO 8601\n"
    "(2026-12-01T08:00Z). Mail goes to <home>/outbox/ unless [mail] smtp_url is set.\n";

static void print_usage(FILE *f, const ra_cmd *c)
{
    fprintf(f, "usage: sertel [--home DIR] %s%s%s %s\n", c->group, c->sub ? " " : "",
            c->sub ? c->sub : "", c->args);
}

/* sertel GROUP --help: its subcommands. */
static void group_help(FILE *f, const char *group)
{
    size_t i;
    int first = 1;

    for (i = 0; i < NCMDS; i++) {
        if (strcmp(cmds[i].group, group) != 0)
            continue;
        if (first)
            print_usage(f, &cmds[i]);
        else
            fprintf(f, "       sertel [--home DIR] %s%s%s %s\n", cmds[i].group,
                    cmds[i].sub ? " " : "", cmds[i].sub ? cmds[i].sub : "", cmds[i].args);
        first = 0;
    }
    fputc('\n', f);
    for (i = 0; i < NCMDS; i++)
        if (strcmp(cmds[i].group, group) == 0)
            fprintf(f, "  %-12s %s\n", cmds[i].sub ? cmds[i].sub : cmds[i].group, cmds[i].brief);
    fprintf(f, "\n'sertel %s SUBCOMMAND --help' tells more.\n", group);
}

/* sertel GROUP [SUB] --help. */
static void cmd_help(const ra_cmd *c)
{
    print_usage(stdout, c);
    printf("\n%s\n\n%s", c->about, ra_notes);
}

int cmd_ra(const cli_global *g, int argc, char **argv)
{
    size_t i;
    int known = 0, grouped = 0;

    for (i = 0; i < NCMDS; i++)
        if (strcmp(argv[0], cmds[i].group) == 0) {
            known = 1;
            grouped = cmds[i].sub != NULL;
        }
    if (!known)
        return -1;
    if (!grouped) {
        for (i = 0; strcmp(argv[0], cmds[i].group) != 0; i++)
            ;
        if (cli_wants_help(argc, argv)) {
            cmd_help(&cmds[i]);
            return EXIT_OK;
        }
        return cmds[i].fn(g, argc, argv);
    }
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        group_help(argc < 2 ? stderr : stdout, argv[0]);
        return argc < 2 ? EXIT_ERROR : EXIT_OK;
    }
    for (i = 0; i < NCMDS; i++)
        if (strcmp(argv[0], cmds[i].group) == 0 && strcmp(argv[1], cmds[i].sub) == 0) {
            if (cli_wants_help(argc, argv)) {
                cmd_help(&cmds[i]);
                return EXIT_OK;
            }
            return cmds[i].fn(g, argc, argv);
        }
    group_help(stderr, argv[0]);
    return cli_usage_error("%s: unknown subcommand '%s'", argv[0], argv[1]);
}

/* The one-line summaries of the registration commands, for sertel --help. */
void cli_ra_summary(FILE *f)
{
    size_t i;

    for (i = 0; i < NCMDS; i++) {
        char name[48];
        snprintf(name, sizeof(name), "%s%s%s", cmds[i].group, cmds[i].sub ? " " : "",
                 cmds[i].sub ? cmds[i].sub : "");
        fprintf(f, "  %-20s %s\n", name, cmds[i].brief);
    }
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
