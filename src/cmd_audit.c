/*
 * cmd_audit.c - `sertel audit verify`, `sertel audit head` and `sertel
 * audit key`: check the audit log (also against a signed head kept
 * elsewhere), print its signed head for external witnessing, and print the
 * audit key's public key that checks such heads (lib/audit/audit.h has the
 * format and the signed bytes); `sertel audit list`: the entries, for
 * those the policy lets read the log (ra_audit_list).
 */
#include <getopt.h>
#include <jansson.h>
#include <time.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca.h"
#include "cli.h"
#include "ra/ra.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/num.h"

/* A signed head is a few hundred bytes (RSA-4096: about 1.2 KiB). */
#define WITNESS_MAX (64 * 1024)

static const char usage[] =
    "usage: sertel [--home DIR] audit verify [--against HEAD_FILE]\n"
    "       sertel [--home DIR] audit head [--out FILE]\n"
    "       sertel [--home DIR] audit key [--out FILE]\n"
    "       sertel [--home DIR] audit list [--after SEQ] [--limit N] [--event PREFIX]\n"
    "                                      [--object OBJ] [--details TEXT] [--by E] [--json]\n"
    "\n"
    "verify  recompute the audit log's hash chain, check every signed checkpoint\n"
    "        with the audit key, and compare with the signed head kept outside the\n"
    "        database (audit.head; missing once the log has entries: tampered).\n"
    "        Names the first entry that was altered, removed, reordered or cut off.\n"
    "        --against HEAD_FILE (or - for stdin): also require that the log extends\n"
    "        a head saved earlier with 'audit head': not shorter, the same entry at\n"
    "        its seq, signed by this home's audit key.\n"
    "head    print the current signed head (seq, hash, ts, signature) to keep off\n"
    "        the machine; --out writes it to FILE (atomically)\n"
    "key     print the audit key's public key (PEM), to check heads with openssl\n"
    "list    the entries, oldest first: sequence number, time (UTC), actor, event,\n"
    "        object and details; --after SEQ and --limit N page through the log,\n"
    "        --event PREFIX (e.g. application.), --object OBJ and --details TEXT\n"
    "        (as written in the details, e.g. '\"application\":12') select. For\n"
    "        administrators and auditors (--by E: as account E). --json: an array of\n"
    "        objects (seq, time, actor, event, object, details, prev_hash, hash); the\n"
    "        chain is checked by 'audit verify', not here.\n"
    "Exit status: 0 intact (listed), 1 tampered, 2 error.\n";

/* Read a witnessed head from path ("-": stdin), at most WITNESS_MAX bytes. */
static int read_witness(const char *path, unsigned char **out, size_t *len, sertel_err *err)
{
    unsigned char *buf;
    size_t n = 0, got;

    *out = NULL;
    *len = 0;
    if (strcmp(path, "-") != 0)
        return fs_read_file(path, WITNESS_MAX, out, len, err);
    buf = malloc(WITNESS_MAX + 1);
    if (buf == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    while (n <= WITNESS_MAX && (got = fread(buf + n, 1, WITNESS_MAX + 1 - n, stdin)) > 0)
        n += got;
    if (ferror(stdin) || n > WITNESS_MAX) {
        free(buf);
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the head on stdin is %s: give the output of 'sertel audit head'",
                              ferror(stdin) ? "unreadable" : "too large");
    }
    *out = buf;
    *len = n;
    return SERTEL_OK;
}

/* stdout or, with path, an atomic replace of path. */
static int emit(const char *path, const void *data, size_t len)
{
    sertel_err err = {0};

    if (path == NULL) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
            return cli_usage_error("audit: cannot write to stdout");
        return EXIT_OK;
    }
    if (fs_write_atomic(path, data, len, 0644, &err) != SERTEL_OK)
        return cli_fail(&err);
    return EXIT_OK;
}

static int do_verify(ca_ctx *ca, EVP_PKEY *pub, const char *against)
{
    audit_verify_opts o;
    audit_report rep;
    sertel_err err = {0};
    unsigned char *witness = NULL;
    size_t wlen = 0;
    int rc;

    memset(&o, 0, sizeof(o));
    o.head_path = ca_audit_head_path(ca);
    if (against != NULL) {
        if (read_witness(against, &witness, &wlen, &err) != SERTEL_OK) {
            sertel_err_prefix(&err, "--against %s", against);
            return cli_fail(&err);
        }
        o.witness = witness;
        o.witness_len = wlen;
        o.witness_name = strcmp(against, "-") == 0 ? "(stdin)" : against;
    }
    memset(&rep, 0, sizeof(rep));
    rc = audit_verify_ex(ca_get0_store(ca), pub, &o, &rep, &err);
    if (rc == SERTEL_OK) {
        printf("audit log intact: %lld entries, %lld signed checkpoints verified\n",
               (long long)rep.entries, (long long)rep.checkpoints);
        if (rep.what[0])
            printf("%s\n", rep.what);
        rc = EXIT_OK;
    } else if (rc == SERTEL_ERR_TAMPERED) {
        printf("audit log NOT intact: %s\n", rep.what);
        fprintf(stderr, "sertel: the audit log was tampered with at entry %lld: %s\n",
                (long long)rep.first_bad_seq, rep.what);
        rc = EXIT_NEGATIVE;
    } else {
        rc = cli_fail(&err);
    }
    free(witness);
    return rc;
}

static int do_head(ca_ctx *ca, EVP_PKEY *pub, const char *out)
{
    sertel_err err = {0};
    char *text = NULL;
    size_t len = 0;
    int rc;

    rc = audit_head_get(ca_get0_store(ca), pub, ca_audit_head_path(ca), &text, &len, &err);
    if (rc == SERTEL_ERR_TAMPERED) {
        fprintf(stderr, "sertel: %s\n", err.msg);
        return EXIT_NEGATIVE;
    }
    if (rc != SERTEL_OK)
        return cli_fail(&err);
    rc = emit(out, text, len);
    free(text);
    return rc;
}

static int do_key(EVP_PKEY *pub, const char *out)
{
    BIO *b = BIO_new(BIO_s_mem());
    BUF_MEM *bm = NULL;
    int rc;

    if (b == NULL || PEM_write_bio_PUBKEY(b, pub) != 1) {
        BIO_free(b);
        return cli_usage_error("audit key: cannot encode the public key");
    }
    BIO_get_mem_ptr(b, &bm);
    rc = emit(out, bm->data, bm->length);
    BIO_free(b);
    return rc;
}

typedef struct list_out {
    json_t *arr; /* --json, else NULL */
    FILE *f;     /* text rows, printed once the listing was allowed */
    char *buf;
    size_t len;
    int64_t last; /* the last entry listed */
} list_out;

static int list_entry(const audit_entry *e, void *arg)
{
    list_out *lo = arg;
    char when[32], ph[2 * AUDIT_HASH_LEN + 1], h[2 * AUDIT_HASH_LEN + 1];
    time_t t = (time_t)e->ts;
    struct tm tm;

    lo->last = e->seq;

    if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(when, sizeof(when), "?");
    if (lo->arr != NULL) {
        json_t *d = json_loads(e->details, 0, NULL);
        hex_encode(e->prev_hash, AUDIT_HASH_LEN, ph);
        hex_encode(e->hash, AUDIT_HASH_LEN, h);
        return json_array_append_new(
            lo->arr,
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:s}", "seq", (json_int_t)e->seq, "time",
                      when, "actor", e->actor, "event", e->event, "object", e->object, "details",
                      d != NULL ? d : json_string(e->details), "prev_hash", ph, "hash", h));
    }
    fprintf(lo->f, "%-7lld %s  %-28s %-26s %-34s %s\n", (long long)e->seq, when, e->actor, e->event,
            e->object, e->details);
    return 0;
}

static int do_list(const cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"after", required_argument, NULL, 'a'},   {"limit", required_argument, NULL, 'l'},
        {"event", required_argument, NULL, 'e'},   {"object", required_argument, NULL, 'o'},
        {"details", required_argument, NULL, 'd'}, {"by", required_argument, NULL, 'b'},
        {"json", no_argument, NULL, 'j'},          {NULL, 0, NULL, 0},
    };
    audit_filter f;
    list_out lo = {NULL, NULL, NULL, 0, 0};
    const char *by = NULL;
    ra *r = NULL;
    ra_actor a;
    int64_t limit = 0, left;
    size_t n = 0;
    sertel_err err = {0};
    int c, json = 0, rc;

    memset(&f, 0, sizeof(f));
    optind = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            if (num_parse_i64z(optarg, 0, INT64_MAX, &f.after) != SERTEL_OK)
                return cli_usage_error("audit list: --after needs an entry number, not '%.40s'",
                                       optarg);
            break;
        case 'l':
            if (num_parse_i64z(optarg, 1, INT64_MAX, &limit) != SERTEL_OK)
                return cli_usage_error("audit list: --limit needs a count from 1, not '%.40s'",
                                       optarg);
            break;
        case 'e':
            f.event_prefix = optarg;
            break;
        case 'o':
            f.object = optarg;
            break;
        case 'd':
            f.details_has = optarg;
            break;
        case 'b':
            by = optarg;
            break;
        case 'j':
            json = 1;
            break;
        default:
            return cli_usage_error("audit list: unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage_error("audit list: unexpected argument '%s'", argv[optind]);
    if (json ? (lo.arr = json_array()) == NULL : (lo.f = open_memstream(&lo.buf, &lo.len)) == NULL)
        return cli_usage_error("out of memory");
    if (ra_open_flags(g->home, CA_OPEN_READONLY, &r, &err) != SERTEL_OK) {
        rc = EXIT_ERROR;
        goto out;
    }
    if (by == NULL)
        ra_actor_local_admin(&a);
    else if ((rc = ra_actor_local_as(r, by, &a, &err)) != SERTEL_OK)
        goto out;
    /* In pages the library allows, each going on after the last entry listed. */
    left = limit > 0 ? limit : INT64_MAX;
    do {
        f.limit = left < RA_AUDIT_EXPORT_MAX ? (size_t)left : (size_t)RA_AUDIT_EXPORT_MAX;
        rc = ra_audit_list(r, &a, &f, list_entry, &lo, &n, &err);
        f.after = lo.last;
        left -= (int64_t)n;
    } while (rc == SERTEL_OK && n == f.limit && left > 0);
out:
    ra_close(r);
    if (lo.f != NULL && fclose(lo.f) != 0 && rc == SERTEL_OK)
        rc = sertel_err_set(&err, SERTEL_ERR_NOMEM, "out of memory");
    if (rc == SERTEL_OK && json) {
        char *s = json_dumps(lo.arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s == NULL)
            rc = sertel_err_set(&err, SERTEL_ERR_NOMEM, "out of memory");
        else
            puts(s);
        free(s);
    } else if (rc == SERTEL_OK) {
        printf("%-7s %-20s  %-28s %-26s %-34s %s\n", "SEQ", "TIME (UTC)", "ACTOR", "EVENT",
               "OBJECT", "DETAILS");
        if (lo.len > 0)
            fwrite(lo.buf, 1, lo.len, stdout);
    }
    json_decref(lo.arr);
    free(lo.buf);
    if (rc != SERTEL_OK)
        return cli_fail(&err);
    return fflush(stdout) == 0 ? EXIT_OK : cli_usage_error("cannot write to stdout");
}

int cmd_audit(const cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"against", required_argument, NULL, 'a'},
        {"out", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const char *sub, *against = NULL, *out = NULL;
    ca_ctx *ca = NULL;
    EVP_PKEY *pub = NULL;
    sertel_err err = {0};
    int c, rc;

    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_ERROR;
    }
    sub = argv[1];
    if (strcmp(sub, "list") == 0)
        return do_list(g, argc, argv);
    if (strcmp(sub, "verify") != 0 && strcmp(sub, "head") != 0 && strcmp(sub, "key") != 0) {
        fputs(usage, stderr);
        return cli_usage_error("audit: unknown subcommand '%s'", sub);
    }
    optind = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            against = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        default:
            return cli_usage_error("audit %s: unknown or incomplete option %s", sub,
                                   argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage_error("audit %s: unexpected argument '%s'", sub, argv[optind]);
    if (against != NULL && strcmp(sub, "verify") != 0)
        return cli_usage_error("audit %s: --against belongs to 'audit verify'", sub);
    if (out != NULL && strcmp(sub, "verify") == 0)
        return cli_usage_error("audit verify: --out belongs to 'audit head' and 'audit key'");
    if (ca_open(g->home, CA_OPEN_READONLY, &ca, &err) != SERTEL_OK)
        return cli_fail(&err);
    if (ca_audit_public_key(ca, &pub, &err) != SERTEL_OK) {
        rc = cli_fail(&err);
        goto out;
    }
    if (strcmp(sub, "verify") == 0)
        rc = do_verify(ca, pub, against);
    else if (strcmp(sub, "head") == 0)
        rc = do_head(ca, pub, out);
    else
        rc = do_key(pub, out);
out:
    EVP_PKEY_free(pub);
    ca_close(ca);
    return rc;
}
