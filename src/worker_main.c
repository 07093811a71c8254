/*
 * worker_main.c - `sertel-worker`: the sandboxed worker image (lib/sandbox,
 * src/cmd_worker.c) as an executable of its own, linked without the
 * libraries a worker never calls (libcurl and its GnuTLS, Kerberos and
 * LDAP, libmicrohttpd, SQLite, libp11): it starts in a fraction of the
 * time of the whole sertel binary, which matters when one `sertel verify`
 * starts one image (docs/benchmarks.md). sertel uses it when it lies next
 * to the sertel executable, else runs itself with --sandbox-worker.
 *
 * A worker has no network: every HTTP exchange of lib/cms goes to the
 * transport the job set (cms_set_http_transport: the caller fetches). This
 * file defines cms_http_fetch and cms_set_http_transport itself, so the
 * linker never takes lib/cms/fetch.c and libcurl into this executable (a
 * link-time seam: if fetch.c ever gains another symbol a worker uses, the
 * link fails with a duplicate definition instead of silently pulling
 * libcurl back in).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cms/cms.h"
#include "sandbox/sandbox.h"

static cms_http_fn transport;

void cms_set_http_transport(cms_http_fn fn)
{
    transport = fn;
}

int cms_http_fetch(const char *url, const char *content_type, const unsigned char *req,
                   size_t req_len, size_t max, long timeout, unsigned char **resp, size_t *resp_len,
                   char *ctype, size_t ctype_cap, sertel_err *err)
{
    *resp = NULL;
    *resp_len = 0;
    if (transport == NULL)
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "the sandboxed worker has no network: %.200s was not fetched", url);
    return transport(url, content_type, req, req_len, max, timeout, resp, resp_len, ctype,
                     ctype_cap, err);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], SBX_WORKER_ARG) == 0)
        return cli_worker_main(argc, argv);
    fputs("sertel-worker: this is the sandboxed worker that sertel starts itself; it is not a "
          "command\n",
          stderr);
    return 2;
}
