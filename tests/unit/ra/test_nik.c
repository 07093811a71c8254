/*
 * test_nik.c - the NIK check: the DOMAIN.md example, the century rule,
 * leap years, women's days, province codes, and a message naming the part
 * at fault for every kind of bad number.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ra/nik.h"

/* A fixed "today", so the century rule does not depend on the clock. */
static time_t day_utc(int y, int m, int d)
{
    struct tm t;

    memset(&t, 0, sizeof(t));
    t.tm_year = y - 1900;
    t.tm_mon = m - 1;
    t.tm_mday = d;
    t.tm_hour = 12;
    return timegm(&t);
}

static time_t today(void)
{
    return day_utc(2026, 11, 25);
}

static void expect_ok(const char *nik, time_t now, nik_info *info)
{
    sertel_err err = {0};

    if (nik_check_at(nik, now, info, &err) != SERTEL_OK)
        fail_msg("%s refused: %s", nik, err.msg);
}

static void expect_bad(const char *nik, time_t now, const char *needle)
{
    sertel_err err = {0};
    nik_info info;

    memset(&info, 0x5a, sizeof(info));
    assert_int_equal(nik_check_at(nik, now, &info, &err), SERTEL_ERR_INVALID);
    assert_int_equal(err.code, SERTEL_ERR_INVALID);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("for '%s' the message '%s' lacks '%s'", nik, err.msg, needle);
    /* out is untouched on failure */
    assert_int_equal(info.province, 0x5a5a5a5a);
}

static void test_domain_example(void **state)
{
    nik_info info;

    (void)state;
    /* DOMAIN.md: 6271 01 520190 0001, a woman born 12-01-1990 in Palangka Raya. */
    expect_ok("6271015201900001", today(), &info);
    assert_int_equal(info.province, 62);
    assert_string_equal(nik_province_name(info.province), "Kalimantan Tengah");
    assert_int_equal(info.regency, 71);
    assert_int_equal(info.district, 1);
    assert_int_equal(info.birth_day, 12);
    assert_int_equal(info.birth_month, 1);
    assert_int_equal(info.birth_year, 1990);
    assert_int_equal(info.female, 1);
    assert_int_equal(info.serial, 1);

    /* the same with the real clock */
    {
        sertel_err err = {0};
        nik_info i2;
        assert_int_equal(nik_check("6271015201900001", &i2, &err), SERTEL_OK);
        assert_int_equal(i2.birth_year, 1990);
    }
    /* out may be NULL */
    assert_int_equal(nik_check_at("6271015201900001", today(), NULL, NULL), SERTEL_OK);
}

static void test_man_and_ranges(void **state)
{
    nik_info info;

    (void)state;
    expect_ok("3201011203859999", today(), &info);
    assert_int_equal(info.province, 32);
    assert_int_equal(info.female, 0);
    assert_int_equal(info.birth_day, 12);
    assert_int_equal(info.birth_month, 3);
    assert_int_equal(info.birth_year, 1985);
    assert_int_equal(info.serial, 9999);
    /* extremes of every field */
    expect_ok("1199993112999999", today(), &info);
    assert_int_equal(info.regency, 99);
    assert_int_equal(info.district, 99);
    assert_int_equal(info.birth_day, 31);
    expect_ok("1101010101000001", today(), &info);
    assert_int_equal(info.birth_year, 2000);
    expect_ok("1101017101000001", today(), &info); /* woman, day 31 */
    assert_int_equal(info.birth_day, 31);
    assert_int_equal(info.female, 1);
    expect_ok("1101014101000001", today(), &info); /* woman, day 1 */
    assert_int_equal(info.birth_day, 1);
}

static void test_provinces(void **state)
{
    static const int good[] = {11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33,
                               34, 35, 36, 51, 52, 53, 61, 62, 63, 64, 65, 71, 72,
                               73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96};
    char nik[NIK_LEN + 1];
    int code, n = 0;
    size_t i;
    nik_info info;

    (void)state;
    for (code = 0; code <= 99; code++) {
        int expected = 0;
        sertel_err err = {0};
        for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
            expected |= good[i] == code;
        snprintf(nik, sizeof(nik), "%02d71015201900001", code);
        if (expected) {
            expect_ok(nik, today(), &info);
            assert_int_equal(info.province, code);
            assert_non_null(nik_province_name(code));
            n++;
        } else {
            assert_int_equal(nik_check_at(nik, today(), &info, &err), SERTEL_ERR_INVALID);
            assert_non_null(strstr(err.msg, "is not an Indonesian province"));
            assert_null(nik_province_name(code));
        }
    }
    assert_int_equal(n, 38); /* Indonesia's 38 provinces since 2022 */
    assert_string_equal(nik_province_name(96), "Papua Barat Daya");
    assert_string_equal(nik_province_name(93), "Papua Selatan");
    assert_string_equal(nik_province_name(94), "Papua Tengah");
    assert_string_equal(nik_province_name(95), "Papua Pegunungan");
    assert_string_equal(nik_province_name(91), "Papua");
    assert_string_equal(nik_province_name(92), "Papua Barat");
    expect_bad("1071015201900001", today(), "province code 10 (digits 1-2) is not an Indonesian");
    expect_bad("0071015201900001", today(), "province code 00");
    expect_bad("9771015201900001", today(), "province code 97");
}

static void test_century(void **state)
{
    nik_info info;

    (void)state;
    /* today is 25-11-2026: 25-11-26 is today (2026), 26-11-26 is not yet (1926) */
    expect_ok("3201012511260001", today(), &info);
    assert_int_equal(info.birth_year, 2026);
    expect_ok("3201012611260001", today(), &info);
    assert_int_equal(info.birth_year, 1926);
    expect_ok("3201012512260001", today(), &info);
    assert_int_equal(info.birth_year, 1926);
    expect_ok("3201016511260001", today(), &info); /* woman born 25-11-2026 */
    assert_int_equal(info.birth_year, 2026);
    expect_ok("3201016611260001", today(), &info);
    assert_int_equal(info.birth_year, 1926);
    expect_ok("3201010101990001", today(), &info);
    assert_int_equal(info.birth_year, 1999);
    expect_ok("3201010101270001", today(), &info);
    assert_int_equal(info.birth_year, 1927);
}

static void test_leap_years(void **state)
{
    nik_info info;

    (void)state;
    expect_ok("3201012902240001", today(), &info); /* 2024 is a leap year */
    assert_int_equal(info.birth_year, 2024);
    expect_ok("3201016902240001", today(), &info); /* a woman, 29-02-2024 */
    assert_int_equal(info.birth_day, 29);
    expect_ok("3201012902000001", today(), &info); /* 2000: divisible by 400 */
    assert_int_equal(info.birth_year, 2000);
    expect_ok("3201012902960001", today(), &info); /* 1996 */
    expect_bad("3201012902230001", today(),
               "birth date 29-02-23 does not exist: February 2023 has 28 days");
    expect_bad("3201016902230001", today(),
               "birth date 69-02-23 does not exist: a woman's day 69 - 40 = 29, but February "
               "2023 has 28 days");
    expect_bad("3201013002240001", today(), "February 2024 has 29 days");
    /* seen from 1999, "00" is 1900, which is not a leap year */
    expect_bad("3201012902000001", day_utc(1999, 6, 1), "February 1900 has 28 days");
    expect_ok("3201012802000001", day_utc(1999, 6, 1), &info);
    assert_int_equal(info.birth_year, 1900);
}

static void test_bad_dates(void **state)
{
    (void)state;
    expect_bad("3201010001900001", today(), "birth date day 00 is not a day");
    expect_bad("3201014001900001", today(), "birth date day 40 is not a day");
    expect_bad("3201013201900001", today(), "birth date day 32 is neither a man's day (01-31)");
    expect_bad("3201017201900001", today(), "day 72 is neither");
    expect_bad("3201019901900001", today(), "day 99 is neither");
    expect_bad("3201011213900001", today(), "birth date month 13 is not a month (01-12)");
    expect_bad("3201011200900001", today(), "month 00 is not a month");
    expect_bad("3201013104900001", today(), "31-04-90 does not exist: April 1990 has 30 days");
    expect_bad("3201017104900001", today(), "71-04-90 does not exist: a woman's day 71 - 40 = 31");
    expect_bad("3201013106900001", today(), "June 1990 has 30 days");
    expect_bad("3201013109900001", today(), "September 1990 has 30 days");
    expect_bad("3201013111900001", today(), "November 1990 has 30 days");
}

static void test_bad_parts(void **state)
{
    (void)state;
    expect_bad("6200015201900001", today(), "regency/city code 00 (digits 3-4) is invalid");
    expect_bad("6271005201900001", today(), "district code 00 (digits 5-6) is invalid");
    expect_bad("6271015201900000", today(), "serial 0000 (digits 13-16) is invalid");
}

static void test_bad_shape(void **state)
{
    char longer[200];

    (void)state;
    expect_bad("627101520190001", today(), "must be 16 digits (got 15)");
    expect_bad("62710152019000011", today(), "must be 16 digits (got 17)");
    expect_bad("", today(), "must be 16 digits (got 0)");
    expect_bad("6271 01 520190 0001", today(), "character 5 is a space, not a digit");
    expect_bad("6271.01.520190.0001", today(), "character 5 is '.'");
    expect_bad("627101520190000A", today(), "character 16 is 'A', not a digit");
    expect_bad("A271015201900001", today(), "character 1 is 'A'");
    expect_bad("6271015201900001\n", today(), "character 17 is byte 0x0A");
    expect_bad(" 6271015201900001", today(), "character 1 is a space");
    expect_bad("6271015201900001 ", today(), "character 17 is a space");
    expect_bad("627101520190\t0001", today(), "character 13 is a tab");
    expect_bad("-271015201900001", today(), "character 1 is '-'");
    expect_bad("+271015201900001", today(), "character 1 is '+'");
    /* full-width digit one (U+FF11) is not an ASCII digit */
    expect_bad("\xef\xbc\x91"
               "271015201900001",
               today(), "character 1 is byte 0xEF");
    expect_bad("6271015201900\x01"
               "01",
               today(), "byte 0x01");
    memset(longer, '1', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    expect_bad(longer, today(), "got more than 63");
}

static void test_message_is_not_the_number(void **state)
{
    sertel_err err = {0};

    (void)state;
    /* a NIK is personal data: messages quote the wrong part only */
    assert_int_equal(nik_check_at("6271015201900000", today(), NULL, &err), SERTEL_ERR_INVALID);
    assert_null(strstr(err.msg, "6271015201900000"));
    assert_non_null(strstr(err.msg, "; check the number on the e-KTP"));
    assert_int_equal(nik_check_at("6271013213900001", today(), NULL, &err), SERTEL_ERR_INVALID);
    assert_null(strstr(err.msg, "627101"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domain_example),
        cmocka_unit_test(test_man_and_ranges),
        cmocka_unit_test(test_provinces),
        cmocka_unit_test(test_century),
        cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_bad_dates),
        cmocka_unit_test(test_bad_parts),
        cmocka_unit_test(test_bad_shape),
        cmocka_unit_test(test_message_is_not_the_number),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
