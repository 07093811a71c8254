/*
 * text.h - the one copy of sertel's checks for text that people type or
 * that arrives from outside: UTF-8 (RFC 3629), names (present, bounded, no
 * control, bidirectional-override or invisible characters), and e-mail
 * addresses (the one grammar, used by registration, the mailer and the
 * certificate linter). Messages name the field ("the full name is longer
 * than 64 characters").
 *
 * Thread safety: no state; safe from any thread.
 */
#ifndef SERTEL_UTIL_TEXT_H
#define SERTEL_UTIL_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct dynbuf;

/*
 * Decode one UTF-8 sequence at s[*i] (i < len): on success *cp is the code
 * point, *i moves past it and 1 is returned; 0 for an ill-formed sequence
 * (overlong, surrogate, above U+10FFFF, truncated, stray continuation),
 * *i unchanged.
 */
int text_utf8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *cp)
    SERTEL_NONNULL(1, 3, 4);

/* 1 when s[0..len) is valid UTF-8, 0 when not; *chars (may be NULL) receives the code points. */
int text_utf8_valid(const unsigned char *s, size_t len, size_t *chars) SERTEL_NONNULL(1);

/*
 * 1 for a code point that must not appear in a name or a one-line text:
 * C0 and C1 controls and DEL, the bidirectional controls (U+061C,
 * U+200E/F, U+202A..U+202E, U+2066..U+2069), zero-width and invisible
 * characters (U+200B..U+200D, U+2060..U+2064, U+FEFF), line and paragraph
 * separators (U+2028/9).
 */
int text_cp_forbidden(uint32_t cp);

/*
 * SERTEL_OK when v is non-empty, at most max characters (code points),
 * valid UTF-8 and free of the characters text_cp_forbidden names;
 * SERTEL_ERR_INVALID naming `what` (and the offending character as U+XXXX)
 * otherwise.
 */
int text_check_field(const char *what, const char *v, size_t max, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1);

/*
 * As text_check_field for free text of several lines (a decision's
 * reason, a note): line feeds and tabs are allowed, everything else
 * text_cp_forbidden names is not. max counts bytes of the UTF-8 text.
 */
int text_check_note(const char *what, const char *v, size_t max, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1);

/* Limits of an e-mail address (RFC 5321 §4.5.3.1). */
#define TEXT_EMAIL_MAX 254
#define TEXT_EMAIL_LOCAL_MAX 64
#define TEXT_EMAIL_DOMAIN_MAX 253

/*
 * NULL when addr[0..len) is an address sertel accepts, else what is wrong
 * with it (a static string). The grammar: ASCII local@domain, a dot-atom
 * local part of 1..64 characters (RFC 5321 §4.1.2, no quoted strings, no
 * address literals), a domain of LDH labels (1..63 characters, not
 * starting or ending with '-'), 254 characters at most in all; with
 * need_dot the domain has at least two labels. This is what RFC 5280
 * §4.2.1.6 allows in an rfc822Name and what every official address looks
 * like; without need_dot it also takes a sender such as noreply@localhost.
 */
const char *text_email_problem(const char *addr, size_t len, int need_dot) SERTEL_NONNULL(1);

/* text_email_problem (with need_dot) as a sertel_err naming what ("the e-mail address"). */
int text_check_email(const char *what, const char *addr, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2);

/*
 * Append s to b as HTML text (WHATWG HTML "escapable raw text" is not
 * needed: this is for element content and quoted attribute values): & < >
 * " ' become character references, everything else is copied. Returns
 * dynbuf_add's result.
 */
int text_html_escape(struct dynbuf *b, const char *s) SERTEL_NONNULL(1, 2);

#endif
