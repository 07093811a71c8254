/*
 * cli.h - shared pieces of the `sertel` command. The command is a thin
 * layer over the library: it parses options, calls one library function,
 * and prints. It holds no rules of its own.
 *
 * Exit codes: 0 success; 1 a negative answer (not valid, tampered);
 * 2 usage or runtime error. Errors go to stderr as "sertel: message".
 */
#ifndef SERTEL_CLI_H
#define SERTEL_CLI_H

#include "sandbox/sandbox.h"
#include "util/err.h"

#define EXIT_OK 0
#define EXIT_NEGATIVE 1
#define EXIT_ERROR 2

/* Global options, parsed by main before the command. */
typedef struct cli_global {
    const char *home; /* --home, else $SERTEL_HOME, else ./sertel-home */
} cli_global;

/* Print "sertel: <err->msg>" to stderr and return EXIT_ERROR. */
int cli_fail(const sertel_err *err);

/* Print a formatted message to stderr and return EXIT_ERROR. */
int cli_usage_error(const char *fmt, ...) SERTEL_PRINTF(1, 2);

/*
 * Read a line from the terminal (stdin) without echo into secure memory;
 * NULL when stdin is not a terminal or on end of input. Free with
 * secret_free().
 */
char *cli_prompt_secret(const char *prompt);

/* 1 when argv holds -h or --help before any "--". */
int cli_wants_help(int argc, char **argv);

int cmd_init(const cli_global *g, int argc, char **argv);
int cmd_ca(const cli_global *g, int argc, char **argv);
int cmd_cert(const cli_global *g, int argc, char **argv);
int cmd_audit(const cli_global *g, int argc, char **argv);
/* Registration-authority commands; returns -1 when argv[0] is not one of them. */
int cmd_ra(const cli_global *g, int argc, char **argv);
int cmd_cert_revoke(const cli_global *g, int argc, char **argv);
int cmd_crl(const cli_global *g, int argc, char **argv);
int cmd_timestamp(const cli_global *g, int argc, char **argv);
int cmd_serve(const cli_global *g, int argc, char **argv);
int cmd_sign(const cli_global *g, int argc, char **argv);
int cmd_extend(const cli_global *g, int argc, char **argv);
int cmd_verify(const cli_global *g, int argc, char **argv);
int cmd_doc(const cli_global *g, int argc, char **argv);
int cmd_backup(const cli_global *g, int argc, char **argv);
int cmd_restore(const cli_global *g, int argc, char **argv);
int cmd_store(const cli_global *g, int argc, char **argv);
/* The sandboxed worker image (argv[1] is SBX_WORKER_ARG); not a command. */
int cli_worker_main(int argc, char **argv);
/*
 * Sandbox settings for a command: the worker is sertel-worker next to this
 * executable when it is there (it starts faster), else this executable;
 * few_jobs for a command that runs one or two jobs. The path is static.
 */
void cli_sandbox_config(sbx_config *c, int few_jobs);
/*
 * Sandbox settings for a command that has loaded no key or secret yet:
 * clean-parent mode (sandbox.h), jobs job processes forked by sbx_new from
 * this process, no exec. Make the sandbox before anything secret is read
 * (sbx_new refuses otherwise).
 */
void cli_sandbox_clean(sbx_config *c, unsigned jobs);

#endif
