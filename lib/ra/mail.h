/*
 * mail.h - outgoing e-mail: the links and notices the registration
 * authority sends to applicants and verifiers.
 *
 * Messages are RFC 5322 with MIME (RFC 2045-2047): UTF-8 plain text,
 * quoted-printable body, CRLF line endings, an encoded-word Subject when
 * it is not ASCII. A mailer works in one of two modes, chosen by the
 * [mail] section of sertel.conf:
 *
 *   from               = sertel <noreply@localhost>   (default)
 *   smtp_url           = smtp://mail.example.go.id:587 | smtps://host:465
 *                        (absent: outbox mode)
 *   smtp_user          = user name for SMTP AUTH (with smtp_password_file)
 *   smtp_password_file = file whose first line is the password; relative
 *                        paths are under the home
 *   outbox             = outbox   (directory, relative to the home)
 *
 * outbox: each message is written to <outbox>/<UTC time>-<random>.eml,
 *   mode 0600 in a 0700 directory (messages carry single-use tokens). The
 *   file appears complete or not at all (written beside, fsync'ed,
 *   renamed); a consumer picks up names ending in ".eml" only.
 * smtp: libcurl submits the message; smtp:// upgrades with STARTTLS when
 *   the server offers it and requires it when a password is configured
 *   (a password never crosses the network in clear); smtps:// is TLS from
 *   the start. Certificates are verified. 30-second timeouts.
 *
 * A failed send is reported, never retried or diverted: the caller
 * decides (e.g. keep the token pending and tell the operator).
 *
 * Ownership: mailer_open returns a mailer the caller frees with
 * mailer_close. Strings passed in are borrowed for the call.
 * Thread safety: after mailer_open, a mailer is read-only; mailer_send may
 * run in several threads at once. mailer_open initialises libcurl
 * (curl_global_init) and so belongs at start-up, before threads.
 */
#ifndef SERTEL_RA_MAIL_H
#define SERTEL_RA_MAIL_H

#include <stddef.h>

#include "conf/conf.h"
#include "util/err.h"

#define MAIL_ADDR_MAX 254           /* RFC 5321 §4.5.3.1.3 path, less the brackets */
#define MAIL_SUBJECT_MAX 512        /* bytes of UTF-8 */
#define MAIL_BODY_MAX (1024 * 1024) /* bytes of UTF-8 */
#define MAIL_DEFAULT_FROM "sertel <noreply@localhost>"
#define MAIL_DEFAULT_OUTBOX "outbox"

typedef struct mailer mailer;

/*
 * Read [mail] from c (NULL: all defaults) and prepare to send. home is the
 * CA home, the base of relative paths. In outbox mode the outbox
 * directory is created (0700) when missing. In SMTP mode the password file
 * is read now into wiped memory. A wrong setting is SERTEL_ERR_CONFIG
 * naming the key; an unreadable password file keeps secret_read_file's
 * code and message.
 */
int mailer_open(const conf *c, const char *home, mailer **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(2, 3);

/* Wipe the password and free. NULL-safe. */
void mailer_close(mailer *m);

/*
 * SERTEL_OK when from is acceptable as [mail] from ("Name <address>" or
 * "address"), else SERTEL_ERR_CONFIG saying why (what mailer_open would
 * refuse). Touches nothing (sertel init checks --mail-from with it).
 */
int mailer_check_from(const char *from, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/* "outbox" or "smtp". */
const char *mailer_mode(const mailer *m) SERTEL_NONNULL(1);

/*
 * Send one message to one recipient.
 *
 * to is a single addr-spec (local@domain, ASCII, at most MAIL_ADDR_MAX
 * bytes, no display name, no spaces, no <>); subject and body are UTF-8
 * (at most MAIL_SUBJECT_MAX / MAIL_BODY_MAX bytes); body line ends may be
 * LF, CRLF or CR. A CR, LF in to or subject is refused as header injection;
 * any refusal is SERTEL_ERR_INVALID and nothing is written or sent.
 *
 * SMTP failures are SERTEL_ERR_IO with what the server or libcurl said
 * and the words "the message was NOT sent".
 */
int mailer_send(mailer *m, const char *to, const char *subject, const char *body_utf8,
                sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/*
 * As mailer_send; in outbox mode the written file's path is copied to
 * path_out (when not NULL; a cap too small is SERTEL_ERR_INVALID before
 * anything is written). In SMTP mode path_out is set to "".
 */
int mailer_send2(mailer *m, const char *to, const char *subject, const char *body_utf8,
                 char *path_out, size_t cap, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/*
 * 0 when addr is a single addr-spec mailer_send accepts as a recipient;
 * otherwise SERTEL_ERR_INVALID with err saying what is wrong. For checking
 * an address when it is entered, long before a message is sent.
 */
int mail_check_address(const char *addr, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

#endif
