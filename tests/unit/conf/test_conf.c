/*
 * test_conf.c - the configuration parser: values, sections, and every
 * rejection naming file and line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

static void test_values(void **state)
{
    conf *c = NULL;
    sertel_err err = {0};
    int64_t n;
    int b;

    (void)state;
    assert_int_equal(conf_parse("# comment\ntop = 1\n[ca]\n  org =  Kementerian  Contoh \n"
                                "; other\n[profile document-signing]\nvalidity_days=730\n"
                                "ca = false\n",
                                "t.conf", &c, &err),
                     SERTEL_OK);
    assert_string_equal(conf_get(c, "", "top"), "1");
    assert_string_equal(conf_get(c, "ca", "org"), "Kementerian  Contoh");
    assert_null(conf_get(c, "ca", "missing"));
    assert_string_equal(conf_get_default(c, "ca", "missing", "d"), "d");
    assert_int_equal(
        conf_get_int(c, "profile document-signing", "validity_days", 0, 1, 1000, &n, &err),
        SERTEL_OK);
    assert_int_equal(n, 730);
    assert_int_equal(
        conf_get_int(c, "profile document-signing", "validity_days", 0, 1, 100, &n, &err),
        SERTEL_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "from 1 to 100"));
    assert_int_equal(conf_get_bool(c, "profile document-signing", "ca", 1, &b, &err), SERTEL_OK);
    assert_int_equal(b, 0);
    assert_int_equal(conf_get_bool(c, "ca", "org", 1, &b, &err), SERTEL_ERR_CONFIG);
    assert_int_equal(conf_section_count(c), 3);
    assert_string_equal(conf_section_name(c, 2), "profile document-signing");
    conf_free(c);
}

static void expect_reject(const char *text, const char *needle)
{
    conf *c = NULL;
    sertel_err err = {0};

    assert_int_equal(conf_parse(text, "bad.conf", &c, &err), SERTEL_ERR_CONFIG);
    assert_null(c);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void test_rejections(void **state)
{
    char *big;

    (void)state;
    expect_reject("[ca\n", "bad.conf:1: section header");
    expect_reject("[ca]\nnovalue\n", "bad.conf:2: expected 'key = value'");
    expect_reject("[ca]\na = 1\na = 2\n", "bad.conf:3: key 'a' is set twice");
    expect_reject("[ca]\n[ca]\n", "appears twice");
    expect_reject("[c$a]\n", "bad section name");
    expect_reject("[ca]\nk y = 1\n", "bad key name");
    big = malloc(5000);
    memset(big, 'a', 4999);
    big[4999] = '\0';
    expect_reject(big, "longer than 4096");
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_rejections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
