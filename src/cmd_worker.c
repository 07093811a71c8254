/*
 * cmd_worker.c - `sertel --sandbox-worker`: the sandboxed worker image
 * (lib/sandbox) that the sertel binary becomes when the library hands it
 * untrusted input. This file is the dispatcher: it maps job names to the
 * library's handlers and initialises, before the seccomp filter, what
 * those handlers' libraries would otherwise open lazily. It is not a
 * command; sertel starts it itself (docs/architecture.md, "Privilege
 * separation").
 */
#include <sodium.h>
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

static void init(void)
{
    if (sodium_init() < 0)
        _exit(2);
    vfy_job_init();
    upload_job_init();
}

int cli_worker_main(int argc, char **argv)
{
    return sbx_worker_main(argc, argv, handlers, sizeof(handlers) / sizeof(handlers[0]), init);
}
