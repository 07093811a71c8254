/*
 * test_text.c - UTF-8 validation and field checks for human-entered text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/text.h"

static void test_utf8(void **state)
{
    size_t n = 0;

    (void)state;
    assert_true(text_utf8_valid((const unsigned char *)"Siti Rahayu", 11, &n));
    assert_int_equal(n, 11);
    assert_true(text_utf8_valid((const unsigned char *)"Jos\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80",
                                14, &n));
    assert_int_equal(n, 8);
    assert_false(text_utf8_valid((const unsigned char *)"\xc0\xaf", 2, &n));     /* overlong */
    assert_false(text_utf8_valid((const unsigned char *)"\xed\xa0\x80", 3, &n)); /* surrogate */
    assert_false(text_utf8_valid((const unsigned char *)"\xf4\x90\x80\x80", 4, &n));
    assert_false(text_utf8_valid((const unsigned char *)"\xe2\x80", 2, &n)); /* truncated */
    assert_false(text_utf8_valid((const unsigned char *)"\x80", 1, &n));
    assert_false(text_utf8_valid((const unsigned char *)"\xff", 1, &n));
}

static void test_fields(void **state)
{
    sertel_err err = {0};
    char long_name[80];

    (void)state;
    assert_int_equal(text_check_field("the full name", "Siti Rahayu", 64, &err), SERTEL_OK);
    assert_int_equal(text_check_field("the full name", "", 64, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "the full name is required"));
    assert_int_equal(text_check_field("the unit", "Biro\nUmum", 64, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "control character"));
    assert_int_equal(text_check_field("the unit", "Biro \xff", 64, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "UTF-8"));
    memset(long_name, 'a', 65);
    long_name[65] = '\0';
    assert_int_equal(text_check_field("the full name", long_name, 64, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "longer than 64 characters (65 given)"));
    /* 64 two-byte characters are 64 characters, not 128. */
    {
        char s[129];
        for (int i = 0; i < 64; i++)
            memcpy(s + 2 * i, "\xc3\xa9", 2);
        s[128] = '\0';
        assert_int_equal(text_check_field("the full name", s, 64, &err), SERTEL_OK);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
