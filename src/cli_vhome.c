/*
 * cli_vhome.c - the home's certificate records for `sertel verify`
 * (cli_vhome.h): every certificate of the database (lib/ca ca_cert_list)
 * with its revocation state, as the OCSP responder and the CRLs answer it
 * (RFC 6960, RFC 5280 §5.3: reason and invalidity date).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ca/ca.h"
#include "cli_vhome.h"
#include "util/hex.h"

typedef struct collect {
    vfy_home_cert *v;
    size_t n, cap, revoked;
} collect;

static int add_record(const ca_cert_record *r, void *arg)
{
    collect *c = arg;
    vfy_home_cert h;
    size_t len = 0;
    int revoked = strcmp(r->status, "valid") != 0 && r->revoked_at != 0;

    memset(&h, 0, sizeof(h));
    if (hex_decode(r->sha256, h.sha256, sizeof(h.sha256), &len) != SERTEL_OK || len != 32)
        return 0; /* a record without its hash cannot be matched: skipped */
    h.revoked = revoked;
    h.reason = revoked && r->revocation_reason >= 0 ? r->revocation_reason : 0;
    h.rev_time = revoked ? r->revoked_at : 0;
    h.invalidity = revoked ? r->invalidity_date : 0;
    if (c->n == c->cap) {
        vfy_home_cert *nv;
        size_t cap = c->cap ? c->cap * 2 : 256;
        if (cap > VFY_MAX_HOME_CERTS)
            cap = VFY_MAX_HOME_CERTS;
        if (c->n == cap) { /* full: a revoked record replaces a good one */
            size_t i;
            if (!revoked)
                return 0;
            for (i = 0; i < c->n && c->v[i].revoked; i++)
                ;
            if (i < c->n)
                c->v[i] = h;
            return 0;
        }
        nv = realloc(c->v, cap * sizeof(*nv));
        if (nv == NULL)
            return SERTEL_ERR_NOMEM;
        c->v = nv;
        c->cap = cap;
    }
    c->v[c->n++] = h;
    return 0;
}

int cli_vhome_load(const char *home, vfy_home_cert **out, size_t *n, sertel_err *err)
{
    char path[4096];
    struct stat sb;
    ca_ctx *ca = NULL;
    collect c = {0};
    int rc;

    *out = NULL;
    *n = 0;
    if ((size_t)snprintf(path, sizeof(path), "%s/sertel.conf", home) >= sizeof(path) ||
        stat(path, &sb) != 0)
        return SERTEL_OK; /* not a CA home (a directory holding only certs/root.pem) */
    rc = ca_open(home, CA_OPEN_READONLY, &ca, err);
    if (rc == SERTEL_OK)
        rc = ca_cert_list(ca, add_record, &c, err);
    if (rc == SERTEL_ERR_NOMEM && err->msg[0] == '\0')
        sertel_err_set(err, rc, "out of memory reading the home's certificates");
    ca_close(ca);
    if (rc != SERTEL_OK) {
        free(c.v);
        return rc;
    }
    vfy_home_sort(c.v, c.n);
    *out = c.v;
    *n = c.n;
    return SERTEL_OK;
}
