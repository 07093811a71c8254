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

#include <stdio.h>

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
 * secret_free(). (cli_secret.c)
 */
char *cli_prompt_secret(const char *prompt);

/* cli_prompt_secret with the reason in err when there is no line. */
int cli_secret_prompt(const char *prompt, char **out, sertel_err *err);

#define CLI_SECRET_NEW 0x1      /* a new secret: asked twice on a terminal, both must match */
#define CLI_SECRET_OPTIONAL 0x2 /* none given (no terminal, or Enter alone): *out NULL, OK */

/*
 * A secret a person gives (cli_secret.c): from file (its first line), from
 * the first line of standard input when file is "-", else asked on the
 * terminal without echo ("New <what>: ", twice with CLI_SECRET_NEW). opt
 * names the option for messages ("--passphrase-file"), what the secret
 * ("passphrase"). Without a file and a terminal: an error saying to give
 * opt (unless CLI_SECRET_OPTIONAL). *out is secure memory: secret_free.
 */
int cli_secret_get(const char *file, const char *opt, const char *what, int flags, char **out,
                   sertel_err *err);

/* 1 when argv holds -h or --help before any "--". */
int cli_wants_help(int argc, char **argv);

int cmd_init(const cli_global *g, int argc, char **argv);
int cmd_ca(const cli_global *g, int argc, char **argv);
int cmd_cert(const cli_global *g, int argc, char **argv);
int cmd_audit(const cli_global *g, int argc, char **argv);
/* Registration-authority commands; returns -1 when argv[0] is not one of them. */
int cmd_ra(const cli_global *g, int argc, char **argv);
/* One line per registration-authority command ("  agency add    Register ..."), for --help. */
void cli_ra_summary(FILE *f);
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
