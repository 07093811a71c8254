/*
 * ep_audit.c - the audit log for auditors and administrators:
 *
 *   GET /api/v1/audit?after=SEQ&limit=N   entries after SEQ (default 0), N at a time
 *                                         (default 100, at most 1000), with their hash chain
 *   GET /api/v1/audit/export?after=SEQ&limit=N
 *                                         JSON lines (application/x-ndjson) to check away from
 *                                         the CA: first the signed head, then the entries up to
 *                                         it (at most N, default and most 10000, and at most
 *                                         EXPORT_BYTES of answer), then {"type":"more"} when
 *                                         there are more; each export is audited
 *
 * An entry: {seq, ts, time, actor, event, object, details, prev_hash,
 * hash}, where ts is the Unix time and details the JSON text exactly as
 * hashed (lib/audit/audit.h: hash = SHA-256("sertel-audit-v1" || u64be(seq)
 * || u64be(ts) || lp(actor) || lp(event) || lp(object) || lp(details) ||
 * prev_hash), hashes in lower-case hex. So an auditor recomputes the chain
 * from the export alone, checks that its last hash is the signed head's,
 * and checks the head's signature with the audit key (`sertel audit key`,
 * openssl) or keeps the head and runs `sertel audit verify --against
 * HEAD` on the CA later (docs/api.md shows both).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "util/dynbuf.h"
#include "util/hex.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000
#define EXPORT_BYTES ((size_t)32 << 20)

/* A text field: a JSON string, or (bytes that are not UTF-8: only tampering puts them there)
 * null with "<name>_hex" beside it. */
static void set_text(json_t *o, const char *name, const char *p, size_t len)
{
    json_t *v = json_stringn(p, len);
    char key[32], *hex;

    if (v != NULL) {
        json_object_set_new(o, name, v);
        return;
    }
    json_object_set_new(o, name, json_null());
    hex = malloc(2 * len + 1);
    if (hex == NULL)
        return;
    hex_encode((const unsigned char *)p, len, hex);
    snprintf(key, sizeof(key), "%s_hex", name);
    json_object_set_new(o, key, json_string(hex));
    free(hex);
}

static json_t *entry_json(const audit_entry *e, const char *type)
{
    char prev[2 * AUDIT_HASH_LEN + 1], hash[2 * AUDIT_HASH_LEN + 1];
    json_t *o = json_object();

    if (o == NULL)
        return NULL;
    hex_encode(e->prev_hash, AUDIT_HASH_LEN, prev);
    hex_encode(e->hash, AUDIT_HASH_LEN, hash);
    if (type != NULL)
        json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "seq", json_integer(e->seq));
    json_object_set_new(o, "ts", json_integer(e->ts));
    json_object_set_new(o, "time", api_time_json(e->ts));
    set_text(o, "actor", e->actor, e->actor_len);
    set_text(o, "event", e->event, e->event_len);
    set_text(o, "object", e->object, e->object_len);
    set_text(o, "details", e->details, e->details_len);
    json_object_set_new(o, "prev_hash", json_string(prev));
    json_object_set_new(o, "hash", json_string(hash));
    return o;
}

struct listing {
    json_t *arr;
    int64_t last;
};

static int list_one(const audit_entry *e, void *arg)
{
    struct listing *l = arg;
    json_t *o = entry_json(e, NULL);

    l->last = e->seq;
    return o == NULL || json_array_append_new(l->arr, o) != 0;
}

static int audit_list(api_call *c, sertel_err *err)
{
    struct listing l = {json_array(), 0};
    audit_filter f;
    int64_t after, limit;
    size_t n = 0;
    int rc;

    if (l.arr == NULL)
        return SERTEL_ERR_NOMEM;
    if (api_query_int(c, "after", 0, 0, INT64_MAX - 1, &after) != SERTEL_OK ||
        api_query_int(c, "limit", LIST_DEFAULT, 1, LIST_MAX, &limit) != SERTEL_OK) {
        json_decref(l.arr);
        return SERTEL_OK; /* answered */
    }
    memset(&f, 0, sizeof(f));
    f.after = after;
    f.limit = (size_t)limit;
    rc = ra_audit_list(c->r, &c->actor, &f, list_one, &l, &n, err);
    if (rc != SERTEL_OK) {
        json_decref(l.arr);
        return rc > 0 ? SERTEL_ERR_NOMEM : rc;
    }
    return api_json(c, 200,
                    json_pack("{s:o, s:o}", "entries", l.arr, "next_after",
                              n == (size_t)limit ? json_integer(l.last) : json_null()));
}

struct export
{
    dynbuf b;
    int64_t last;
    size_t n;
    int full; /* stopped at EXPORT_BYTES */
};

static int line(dynbuf *b, json_t *o)
{
    char *s;
    int rc;

    if (o == NULL)
        return SERTEL_ERR_NOMEM;
    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (s == NULL)
        return SERTEL_ERR_NOMEM;
    dynbuf_addstr(b, s);
    rc = dynbuf_add(b, "\n", 1);
    free(s);
    return rc;
}

static int export_one(const audit_entry *e, void *arg)
{
    struct export *x = arg;

    if (x->b.len >= EXPORT_BYTES) {
        x->full = 1;
        return 1;
    }
    x->last = e->seq;
    x->n++;
    return line(&x->b, entry_json(e, "entry")) != SERTEL_OK;
}

static int audit_export(api_call *c, sertel_err *err)
{
    struct export x;
    dynbuf head_line;
    char *head = NULL, *body, disp[96];
    size_t head_len = 0, n = 0, len = 0;
    int64_t after, limit, head_seq = 0;
    int rc;

    if (api_query_int(c, "after", 0, 0, INT64_MAX - 1, &after) != SERTEL_OK ||
        api_query_int(c, "limit", RA_AUDIT_EXPORT_MAX, 1, RA_AUDIT_EXPORT_MAX, &limit) != SERTEL_OK)
        return SERTEL_OK; /* answered */
    memset(&x, 0, sizeof(x));
    dynbuf_init(&x.b, EXPORT_BYTES + (1u << 20));
    x.last = after;
    rc = ra_audit_export(c->r, &c->actor, after, (size_t)limit, &head, &head_len, &head_seq,
                         export_one, &x, &n, err);
    if (rc > 0 && !x.full)
        rc = SERTEL_ERR_NOMEM;
    else if (rc > 0)
        rc = SERTEL_OK;
    if (rc != SERTEL_OK || x.b.failed) {
        free(head);
        dynbuf_free(&x.b);
        return rc != SERTEL_OK ? rc : x.b.failed;
    }
    /* The head first: the entries that follow lead up to it. */
    dynbuf_init(&head_line, 0);
    rc = line(&head_line,
              json_pack("{s:s, s:s%, s:I, s:s}", "type", "head", "head", head, head_len, "seq",
                        (json_int_t)head_seq, "format", "sertel-audit-export-v1"));
    free(head);
    if (rc == SERTEL_OK && (x.full || (n == (size_t)limit && x.last < head_seq)))
        rc = line(&x.b, json_pack("{s:s, s:I, s:I}", "type", "more", "after", (json_int_t)x.last,
                                  "head_seq", (json_int_t)head_seq));
    if (rc == SERTEL_OK)
        rc = dynbuf_add(&head_line, x.b.p ? x.b.p : "", x.b.len);
    dynbuf_free(&x.b);
    if (rc != SERTEL_OK) {
        dynbuf_free(&head_line);
        return sertel_err_set(err, rc, "the export does not fit in memory: export fewer entries");
    }
    body = dynbuf_take(&head_line, &len);
    snprintf(disp, sizeof(disp), "attachment; filename=\"sertel-audit-%lld-%lld.jsonl\"",
             (long long)after, (long long)x.last);
    (void)http_response_header(c->resp, "Content-Disposition", disp);
    c->resp->status = 200;
    snprintf(c->resp->content_type, sizeof(c->resp->content_type), "application/x-ndjson");
    c->resp->body = (const unsigned char *)body;
    c->resp->len = len;
    c->resp->body_free = free;
    return SERTEL_OK;
}

const api_endpoint api_ep_audit[] = {
    {"GET", "/api/v1/audit", API_AUTH_SESSION, API_IN_NONE, 0, 0, "audit_list", audit_list,
     RA_ACT_AUDIT_VIEW},
    {"GET", "/api/v1/audit/export", API_AUTH_SESSION, API_IN_NONE, 0, 0, "audit_export",
     audit_export, RA_ACT_AUDIT_VIEW},
};
const size_t api_ep_audit_n = sizeof(api_ep_audit) / sizeof(api_ep_audit[0]);
