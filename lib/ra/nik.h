/*
 * nik.h - checking an Indonesian NIK (Nomor Induk Kependudukan), the
 * 16-digit population number printed on the e-KTP.
 *
 * Layout (Permendagri on population administration; docs/DOMAIN.md):
 *
 *   PP KK CC DDMMYY SSSS
 *   PP     province code (Kemendagri), e.g. 62 Kalimantan Tengah
 *   KK     regency / city code, 01-99
 *   CC     district (kecamatan) code, 01-99
 *   DDMMYY date of birth; women add 40 to the day (41-71)
 *   SSSS   serial, 0001-9999
 *
 * This is a plausibility check of the number's shape, not a look-up in the
 * population registry (Dukcapil): a number that passes may still belong to
 * nobody. Regency and district codes are only checked for range, the
 * province against the list of provinces (including the four Papua
 * provinces of 2022, codes 93-96).
 *
 * Thread safety: the functions keep no state; safe from any thread.
 */
#ifndef SERTEL_RA_NIK_H
#define SERTEL_RA_NIK_H

#include <time.h>

#include "util/err.h"

#define NIK_LEN 16

/* What a valid NIK says. */
typedef struct nik_info {
    int province;    /* 11..96, a real province code */
    int regency;     /* 1..99 */
    int district;    /* 1..99 */
    int birth_day;   /* 1..31, the real day (40 already removed for women) */
    int birth_month; /* 1..12 */
    int birth_year;  /* four digits, see nik_check_at */
    int female;      /* 1 when the day was written with 40 added */
    int serial;      /* 1..9999 */
} nik_info;

/*
 * Check nik (a NUL-terminated string) against the layout above, using
 * today's date (UTC) to choose the century of the birth year. On success
 * fills *out (when out is not NULL) and returns SERTEL_OK. Otherwise
 * returns SERTEL_ERR_INVALID and err says which part is wrong and what was
 * found, and ends "; check the number on the e-KTP" ("NIK district code
 * 00 (digits 5-6) is invalid: codes start at 01; check ..."). Messages
 * quote the part at fault, never the whole number.
 */
int nik_check(const char *nik, nik_info *out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/*
 * As nik_check, with "today" given as a Unix time (UTC). The two-digit
 * birth year YY becomes 20YY when the date 20YY-MM-DD is not after today,
 * else 19YY; leap years are judged on that four-digit year. Tests use this
 * to be independent of the clock.
 */
int nik_check_at(const char *nik, time_t now, nik_info *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1);

/*
 * The NIK as shown in listings: every digit but the last four masked
 * ("************0001"), so that a queue or a list does not spread whole
 * population numbers. Anything that is not 16 characters gives "". out
 * has room for NIK_LEN + 1 bytes.
 */
void nik_mask(const char *nik, char out[NIK_LEN + 1]) SERTEL_NONNULL(1, 2);

/* The province's name for a code ("Kalimantan Tengah"), or NULL. */
const char *nik_province_name(int code);

#endif
