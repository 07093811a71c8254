/*
 * test_verify_time.c - the validation time (verify --at): RFC 3339 and
 * date parsing (offsets, fractions, leap days, what is refused), the
 * algorithm constraints at the time of proof of existence (SHA-1 before
 * and after its sunset, SHA-224 never), and Indonesia's time zones for
 * the text report (WIB, WITA, WIT; the home's records as a revocation
 * source are tested end to end, tests/e2e/test_verify_time.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <string.h>

#include "pdf/verify.h"
#include "pdf/verify_int.h"

static time_t parse_ok(const char *s)
{
    time_t t = 0;
    sertel_err err = {0};

    assert_int_equal(vfy_parse_time(s, &t, &err), SERTEL_OK);
    return t;
}

static void test_parse(void **state)
{
    static const char *const bad[] = {
        "",
        "2020-11-1",
        "2020-13-01",
        "2020-02-30",
        "2021-02-29",
        "1969-12-31",
        "2020-11-01T10:00:00",      /* RFC 3339 needs the offset */
        "2020-11-01T24:00:00Z",     /* hour out of range */
        "2020-11-01T10:00:00+7:00", /* offset digits */
        "2020-11-01T10:00:00Zjunk",
        "2020-11-01T10:00:00.Z",
        "2020-11-01x",
        "20201101",
        "now",
    };
    sertel_err err = {0};
    time_t t;
    size_t i;

    (void)state;
    assert_int_equal(parse_ok("2020-11-01"), 1604188800);
    assert_int_equal(parse_ok("2020-11-01T00:00:00Z"), 1604188800);
    assert_int_equal(parse_ok("2020-11-01t00:00:00z"), 1604188800);
    assert_int_equal(parse_ok("2020-11-01T07:00:00+07:00"), 1604188800);
    assert_int_equal(parse_ok("2020-10-31T20:00:00-04:00"), 1604188800);
    assert_int_equal(parse_ok("2020-11-01T00:00:00.123456Z"), 1604188800);
    assert_int_equal(parse_ok("2020-02-29"), 1582934400);
    assert_int_equal(parse_ok("2016-12-31T23:59:60Z"), 1483228799); /* leap second: :59 */
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        assert_int_equal(vfy_parse_time(bad[i], &t, &err), SERTEL_ERR_INVALID);
        assert_non_null(strstr(err.msg, "RFC 3339"));
    }
}

static void test_algo_poe(void **state)
{
    vfy_sig *s = calloc(1, sizeof(*s));
    size_t i;

    (void)state;
    assert_non_null(s);
    /* SHA-1 proven (time-stamp) in 2010: accepted, noted */
    vfy_check_algo_poe(s, EVP_sha1(), 0, 1, 1262304000, 1);
    assert_int_equal(s->conclusion, VFY_TOTAL_PASSED);
    assert_int_equal(s->n_reasons, 1);
    assert_true(s->n_reasons > 0); /* (a failed allocation may leave none) */
    assert_non_null(strstr(s->reasons[0], "SHA1 is accepted: the signature is proven by its "
                                          "time-stamp to exist at 2010-01-01T00:00:00Z, before "
                                          "2012-08-01T00:00:00Z"));
    for (i = 0; i < s->n_reasons; i++)
        free(s->reasons[i]);
    free(s->reasons);
    memset(s, 0, sizeof(*s));
    /* adbe.pkcs7.sha1 validated as of 2011 */
    vfy_check_algo_poe(s, EVP_sha256(), 1, 0, 1293840000, 0);
    assert_int_equal(s->conclusion, VFY_TOTAL_PASSED);
    assert_true(s->n_reasons > 0);
    assert_non_null(strstr(s->reasons[0], "validated as of"));
    for (i = 0; i < s->n_reasons; i++)
        free(s->reasons[i]);
    free(s->reasons);
    memset(s, 0, sizeof(*s));
    /* SHA-1 proven only in 2020: refused */
    vfy_check_algo_poe(s, EVP_sha1(), 0, 1, 1604188800, 1);
    assert_int_equal(s->conclusion, VFY_INDETERMINATE);
    assert_string_equal(s->sub_indication, "CRYPTO_CONSTRAINTS_FAILURE_NO_POE");
    for (i = 0; i < s->n_reasons; i++)
        free(s->reasons[i]);
    free(s->reasons);
    memset(s, 0, sizeof(*s));
    /* SHA-224 has no sunset relief: refused whatever the time */
    vfy_check_algo_poe(s, EVP_sha224(), 0, 1, 0, 1);
    assert_int_equal(s->conclusion, VFY_INDETERMINATE);
    for (i = 0; i < s->n_reasons; i++)
        free(s->reasons[i]);
    free(s->reasons);
    memset(s, 0, sizeof(*s));
    /* SHA-256: nothing to say */
    vfy_check_algo_poe(s, EVP_sha256(), 0, 0, 0, 0);
    assert_int_equal(s->conclusion, VFY_TOTAL_PASSED);
    assert_int_equal(s->n_reasons, 0);
    free(s);
}

static void test_zones(void **state)
{
    sertel_err err = {0};
    char out[64];
    int off = -1;

    (void)state;
    assert_int_equal(vfy_tz_offset("WIB", &off, &err), SERTEL_OK);
    assert_int_equal(off, 7 * 3600);
    assert_int_equal(vfy_tz_offset("wita", &off, &err), SERTEL_OK);
    assert_int_equal(off, 8 * 3600);
    assert_int_equal(vfy_tz_offset("WIT", &off, &err), SERTEL_OK);
    assert_int_equal(off, 9 * 3600);
    assert_int_equal(vfy_tz_offset("UTC", &off, &err), SERTEL_OK);
    assert_int_equal(off, 0);
    assert_int_equal(vfy_tz_offset("WITX", &off, &err), SERTEL_ERR_INVALID);
    assert_int_equal(vfy_tz_offset("", &off, &err), SERTEL_ERR_INVALID);
    /* across midnight and the year */
    vfy_time_in_zone("2020-12-31T20:30:05Z", "WIB", out, sizeof(out));
    assert_string_equal(out, "2021-01-01 03:30:05 WIB");
    vfy_time_in_zone("2020-12-31T20:30:05Z", "wit", out, sizeof(out));
    assert_string_equal(out, "2021-01-01 05:30:05 WIT");
    vfy_time_in_zone("2024-02-28T16:00:00Z", "WITA", out, sizeof(out));
    assert_string_equal(out, "2024-02-29 00:00:00 WITA");
    /* UTC, no zone, not a time: as it is */
    vfy_time_in_zone("2020-12-31T20:30:05Z", "UTC", out, sizeof(out));
    assert_string_equal(out, "2020-12-31T20:30:05Z");
    vfy_time_in_zone("2020-12-31T20:30:05Z", NULL, out, sizeof(out));
    assert_string_equal(out, "2020-12-31T20:30:05Z");
    vfy_time_in_zone("garbage", "WIB", out, sizeof(out));
    assert_string_equal(out, "garbage");
    vfy_time_in_zone("", "WIB", out, sizeof(out));
    assert_string_equal(out, "");
    /* cut to the buffer */
    vfy_time_in_zone("2020-12-31T20:30:05Z", "WIB", out, 11);
    assert_string_equal(out, "2021-01-01");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_zones),
        cmocka_unit_test(test_algo_poe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
