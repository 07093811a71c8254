/*
 * hex.h - hexadecimal digits, the one copy of them in sertel (serials,
 * digests, tokens, PDF hex strings and names).
 *
 * Thread safety: no state; safe from any thread.
 */
#ifndef SERTEL_UTIL_HEX_H
#define SERTEL_UTIL_HEX_H

#include <stddef.h>

#include "util/err.h"

/* Lower-case hex of len bytes into out (2*len+1 bytes, NUL-terminated). */
void hex_encode(const unsigned char *in, size_t len, char *out) SERTEL_NONNULL(3);

/* The value 0..15 of one hex digit (either case), -1 for anything else. */
int hex_value(int c);

/*
 * Decode the NUL-terminated hex string in (either case) into out.
 * SERTEL_ERR_INVALID on odd length, a non-hex character or more than
 * outcap bytes; *outlen receives the byte count.
 */
int hex_decode(const char *in, unsigned char *out, size_t outcap, size_t *outlen) SERTEL_WUR
    SERTEL_NONNULL(1, 4);

/* 1 when s is exactly n lower-case hex digits (an id or digest as sertel writes them). */
int hex_is_lower(const char *s, size_t n) SERTEL_NONNULL(1);

#endif
