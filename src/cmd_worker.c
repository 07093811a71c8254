/*
 * cmd_worker.c - `sertel --sandbox-worker`: the sandboxed worker image
 * (lib/sandbox) that the sertel binary becomes when the library hands it
 * untrusted input. This file is the dispatcher: it maps job names to the
 * library's handlers and initialises, before the seccomp filter, what
 * those handlers' libraries would otherwise open lazily. It is not a
 * command; sertel starts it itself (docs/architecture.md, "Privilege
 * separation"). The same file is linked into `sertel-worker`
 * (worker_main.c), the smaller executable sertel prefers as its worker.
 */
#include <limits.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "pdf/image_job.h"
#include "pdf/verify_job.h"
#include "ra/upload_job.h"
#include "sandbox/sandbox.h"

static const sbx_handler handlers[] = {
    {VFY_JOB_PDF, vfy_job_pdf},
    {VFY_JOB_DETACHED, vfy_job_detached},
    {UPLOAD_JOB_CHECK, upload_job_check},
    {PDF_IMAGE_JOB, pdf_image_job},
};

/*
 * Before the filter: what the jobs' libraries would open lazily. An image
 * serves all its jobs and warms what they share; a clean-parent job
 * process (sbx_worker_clean) runs one job and initialises only what any
 * job needs.
 */
static void init(void)
{
    if (sodium_init() < 0)
        _exit(2);
    vfy_job_init();
    if (!sbx_worker_clean())
        upload_job_init();
}

int cli_worker_main(int argc, char **argv)
{
    return sbx_worker_main(argc, argv, handlers, sizeof(handlers) / sizeof(handlers[0]), init);
}

/* Before the filter of a clean-parent job process: what its PDF input may need. */
static void prepare(const char *type, const sbx_request *req)
{
    if (strcmp(type, VFY_JOB_PDF) == 0 || strcmp(type, UPLOAD_JOB_CHECK) == 0)
        pdf_job_prepare(req);
}

void cli_sandbox_clean(sbx_config *c, unsigned jobs)
{
    memset(c, 0, sizeof(*c));
    c->mode = SBX_MODE_CLEAN_PARENT;
    c->handlers = handlers;
    c->n_handlers = sizeof(handlers) / sizeof(handlers[0]);
    c->init = init;
    c->prepare = prepare;
    c->jobs = jobs;
}

void cli_sandbox_config(sbx_config *c, int few_jobs)
{
    static char path[PATH_MAX];
    struct stat st;
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    char *slash;

    memset(c, 0, sizeof(*c));
    c->few_jobs = few_jobs;
    if (n <= 0)
        return;
    path[n] = '\0';
    slash = strrchr(path, '/');
    if (slash == NULL || (size_t)(slash - path) + sizeof("/sertel-worker") > sizeof(path))
        return;
    memcpy(slash, "/sertel-worker", sizeof("/sertel-worker"));
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
        c->worker_path = path;
}
