/*
 * cli_secret.c - secrets people type (passphrases, login passwords): asked
 * on the terminal with echo off (POSIX termios, the General Terminal
 * Interface: ECHO cleared, pending typed-ahead input discarded with
 * TCSAFLUSH, as getpass does), twice for a new secret; or read from a file
 * or, with "-", from the first line of standard input. Never taken from
 * an argument: arguments show in ps and in the shell's history.
 *
 * A signal while echo is off (Ctrl-C) puts the terminal back before the
 * process ends. Everything typed lives in libsodium's secure memory or is
 * wiped.
 */
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "util/fs.h"

#define LINE_MAX_SECRET 4096 /* the same bound as a secret file's first line */

static struct termios saved_tty;
static volatile sig_atomic_t echo_is_off;
static const int tty_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define N_TTY_SIGNALS (sizeof(tty_signals) / sizeof(tty_signals[0]))

/* A signal while echo is off: the terminal as it was, then the signal's usual end. */
static void restore_and_reraise(int sig)
{
    if (echo_is_off)
        (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Read one line of at most LINE_MAX_SECRET bytes from fd into secure memory. */
static int read_line(int fd, const char *what, char **out, int *eof, sertel_err *err)
{
    char *buf = sodium_malloc(LINE_MAX_SECRET + 2);
    size_t n = 0;
    ssize_t got;
    char c;

    *out = NULL;
    *eof = 0;
    if (buf == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of secure memory");
    for (;;) {
        got = read(fd, &c, 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            sodium_free(buf);
            return sertel_err_set(err, SERTEL_ERR_IO, "cannot read %s: %s", what, strerror(errno));
        }
        if (got == 0) {
            *eof = n == 0;
            break;
        }
        if (c == '\n')
            break;
        if (n == LINE_MAX_SECRET) {
            /* Too long: read to the end of the line so that nothing is left for the shell. */
            while ((got = read(fd, &c, 1)) > 0 && c != '\n')
                ;
            sodium_free(buf);
            return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is longer than %d bytes", what,
                                  LINE_MAX_SECRET);
        }
        buf[n++] = c;
    }
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    if (memchr(buf, '\0', n) != NULL) {
        sodium_free(buf);
        return sertel_err_set(err, SERTEL_ERR_INVALID, "%s contains a NUL byte", what);
    }
    *out = buf;
    return SERTEL_OK;
}

int cli_secret_prompt(const char *prompt, char **out, sertel_err *err)
{
    struct termios noecho;
    struct sigaction sa, old[N_TTY_SIGNALS];
    int rc, eof = 0;
    size_t i;

    *out = NULL;
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty) != 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "standard input is not a terminal");
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = restore_and_reraise;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < N_TTY_SIGNALS; i++)
        sigaction(tty_signals[i], &sa, &old[i]);
    fputs(prompt, stderr);
    fflush(stderr);
    noecho = saved_tty;
    noecho.c_lflag &= ~(tcflag_t)ECHO;
    echo_is_off = 1;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho) != 0) {
        echo_is_off = 0;
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot turn the terminal's echo off: %s",
                            strerror(errno));
    } else {
        rc = read_line(STDIN_FILENO, "the line typed", out, &eof, err);
        (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
        echo_is_off = 0;
        fputc('\n', stderr);
    }
    for (i = 0; i < N_TTY_SIGNALS; i++)
        sigaction(tty_signals[i], &old[i], NULL);
    if (rc == SERTEL_OK && eof) {
        secret_free(*out);
        *out = NULL;
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "nothing was typed (end of input)");
    }
    return rc;
}

char *cli_prompt_secret(const char *prompt)
{
    sertel_err err = {0};
    char *s = NULL;

    if (cli_secret_prompt(prompt, &s, &err) != SERTEL_OK)
        return NULL;
    return s;
}

int cli_secret_get(const char *file, const char *opt, const char *what, int flags, char **out,
                   sertel_err *err)
{
    char prompt[160], *again = NULL;
    int rc, eof = 0;

    *out = NULL;
    if (file != NULL && strcmp(file, "-") == 0) {
        char name[96];
        snprintf(name, sizeof(name), "the %s on standard input", what);
        if ((rc = read_line(STDIN_FILENO, name, out, &eof, err)) != SERTEL_OK)
            return rc;
        if ((*out)[0] == '\0') {
            secret_free(*out);
            *out = NULL;
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "%s %s: standard input gave no %s on its first line", opt, file,
                                  what);
        }
        return SERTEL_OK;
    }
    if (file != NULL)
        return secret_read_file(file, out, err);
    if (!isatty(STDIN_FILENO)) {
        if (flags & CLI_SECRET_OPTIONAL)
            return SERTEL_OK;
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "give the %s with %s FILE (or %s - to read it from standard "
                              "input): there is no terminal to ask it on",
                              what, opt, opt);
    }
    snprintf(prompt, sizeof(prompt), "%s%s%s: ", flags & CLI_SECRET_NEW ? "New " : "", what,
             flags & CLI_SECRET_OPTIONAL ? " (Enter alone: none now)" : "");
    if (prompt[0] >= 'a' && prompt[0] <= 'z')
        prompt[0] = (char)(prompt[0] - 'a' + 'A');
    if ((rc = cli_secret_prompt(prompt, out, err)) != SERTEL_OK)
        return rc;
    if ((*out)[0] == '\0') {
        secret_free(*out);
        *out = NULL;
        if (flags & CLI_SECRET_OPTIONAL)
            return SERTEL_OK;
        return sertel_err_set(err, SERTEL_ERR_INVALID, "no %s was typed: nothing was changed",
                              what);
    }
    if (!(flags & CLI_SECRET_NEW))
        return SERTEL_OK;
    snprintf(prompt, sizeof(prompt), "Repeat the %s: ", what);
    rc = cli_secret_prompt(prompt, &again, err);
    if (rc == SERTEL_OK &&
        (strlen(*out) != strlen(again) || sodium_memcmp(*out, again, strlen(again)) != 0))
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "the two %ss typed differ: nothing was changed", what);
    secret_free(again);
    if (rc != SERTEL_OK) {
        secret_free(*out);
        *out = NULL;
    }
    return rc;
}
