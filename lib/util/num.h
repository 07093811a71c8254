/*
 * num.h - checked number parsing, the one copy in sertel: whole numbers
 * with range checks (options, configuration, headers, PDF integers) and
 * plain decimals (PDF reals, ISO 32000-1 §7.3.3, and coordinates typed on
 * the command line) - and the one formatter of numbers written into
 * files (num_snprintf: PDF reals). Input is a byte range, not necessarily
 * NUL-terminated; nothing depends on the locale (LC_NUMERIC never changes
 * what a number means, read or written).
 *
 * Thread safety: safe from any thread (the formatter makes its "C" locale
 * object once, under pthread_once).
 */
#ifndef SERTEL_UTIL_NUM_H
#define SERTEL_UTIL_NUM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/*
 * Parse s[0..len) as an optional sign and 1..19 decimal digits, with no
 * other character, into *out, which must lie in [min, max].
 * SERTEL_ERR_INVALID otherwise (*out untouched).
 */
int num_parse_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out) SERTEL_WUR
    SERTEL_NONNULL(1, 5);

/* num_parse_i64 over a NUL-terminated string. */
int num_parse_i64z(const char *s, int64_t min, int64_t max, int64_t *out) SERTEL_WUR
    SERTEL_NONNULL(1, 4);

#define NUM_DECIMAL_MAX_LEN 64 /* characters of a decimal, sign not counted */

/*
 * Parse s[0..len) as a plain decimal: an optional sign, digits with at
 * most one '.', at least one digit (PDF allows "4.", ".5", "-.002"), no
 * exponent, no other character, at most NUM_DECIMAL_MAX_LEN characters.
 * An integer part of 1e18 or more is SERTEL_ERR_INVALID; digits past the
 * 18th significant one are dropped. Equal decimals written differently
 * ("612", "612.0", "0612.00") give the same double.
 */
int num_parse_decimal(const char *s, size_t len, double *out) SERTEL_WUR SERTEL_NONNULL(1, 3);

/* num_parse_decimal over a NUL-terminated string. */
int num_parse_decimalz(const char *s, double *out) SERTEL_WUR SERTEL_NONNULL(1, 2);

/*
 * Parse exactly n decimals separated by sep ("350,60,220,80") into out,
 * each within [min, max]. SERTEL_ERR_INVALID for any other count, an
 * empty item or a value out of range.
 */
int num_parse_decimal_list(const char *s, char sep, double min, double max, double *out,
                           size_t n) SERTEL_WUR SERTEL_NONNULL(1, 5);

/*
 * Parse a time written as ISO 8601 / RFC 3339: "YYYY-MM-DD",
 * "YYYY-MM-DDTHH:MM", "YYYY-MM-DDTHH:MM:SS" ('T' or one space), followed
 * by "Z", "+HH:MM" or "-HH:MM" (no zone: UTC), into Unix seconds. Fields
 * out of range (month 13, 31 April, hour 24) and years outside 1970..9999
 * are SERTEL_ERR_INVALID.
 */
int num_parse_time(const char *s, int64_t *out) SERTEL_WUR SERTEL_NONNULL(1, 2);

/*
 * vsnprintf in the "C" locale, whatever locale the process or the calling
 * thread has set (uselocale, thread-local): a %f or %g always has a '.'
 * decimal point and no grouping, so numbers written into files (a PDF's
 * coordinates, a stamp's content stream) read back the same everywhere.
 * Same return as vsnprintf. Thread-safe.
 */
int num_vsnprintf(char *out, size_t cap, const char *fmt, va_list ap) SERTEL_PRINTF(3, 0);

/* num_vsnprintf with arguments. */
int num_snprintf(char *out, size_t cap, const char *fmt, ...) SERTEL_PRINTF(3, 4);

#endif
