/*
 * worker_main.c - `sertel-worker`: the sandboxed worker image (lib/sandbox,
 * src/cmd_worker.c) as an executable of its own, linked without the
 * libraries a worker never calls (libcurl and its GnuTLS, Kerberos and
 * LDAP, libmicrohttpd, SQLite, libp11): a smaller image with less code in
 * it, which also starts in a fraction of the time of the whole sertel
 * binary (docs/benchmarks.md). Processes that hold keys (serve, sign) use
 * it when it lies next to the sertel executable, else run themselves with
 * --sandbox-worker.
 *
 * A worker has no network: its fetches go to its caller
 * (cms_fetch_policy.forward, lib/pdf/verify_job.c). This executable is
 * linked with lib/cms/nonet/fetch_nonet.c in place of lib/cms/fetch.c (a
 * link-time seam, described there), which keeps libcurl out.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "sandbox/sandbox.h"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], SBX_WORKER_ARG) == 0)
        return cli_worker_main(argc, argv);
    fputs("sertel-worker: this is the sandboxed worker that sertel starts itself; it is not a "
          "command\n",
          stderr);
    return 2;
}
