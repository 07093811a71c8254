/*
 * text.h - checks for short human-entered text (names, units, positions):
 * present, bounded, valid UTF-8, no control characters. Messages name the
 * field ("the full name is longer than 64 characters").
 */
#ifndef SERTEL_UTIL_TEXT_H
#define SERTEL_UTIL_TEXT_H

#include <stddef.h>

#include "util/err.h"

/*
 * SERTEL_OK when v is non-empty, at most max characters (code points),
 * valid UTF-8 (no overlong forms, no surrogates) and free of control
 * characters; SERTEL_ERR_INVALID naming `what` otherwise.
 */
int text_check_field(const char *what, const char *v, size_t max, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1);

/* 1 when s[0..len) is valid UTF-8, 0 when not; *chars receives the code points. */
int text_utf8_valid(const unsigned char *s, size_t len, size_t *chars) SERTEL_NONNULL(1);

#endif
