/*
 * test_text.c - UTF-8 validation, field checks for human-entered text (no
 * control, bidirectional or invisible characters) and the one e-mail grammar.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/dynbuf.h"
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

/* Trojan-Source style names: each refused character named, in a name and in a note. */
static void test_invisible_and_bidi(void **state)
{
    static const char *const bad[] = {
        "Siti\xe2\x80\x8bRahayu", /* U+200B zero width space */
        "Siti\xe2\x80\x8dRahayu", /* U+200D zero width joiner */
        "Siti\xe2\x80\x8fRahayu", /* U+200F right-to-left mark */
        "Siti\xe2\x80\xaeRahayu", /* U+202E right-to-left override */
        "Siti\xe2\x80\xaaRahayu", /* U+202A left-to-right embedding */
        "Siti\xe2\x81\xa6Rahayu", /* U+2066 left-to-right isolate */
        "Siti\xe2\x81\xa9Rahayu", /* U+2069 pop directional isolate */
        "Siti\xef\xbb\xbfRahayu", /* U+FEFF byte order mark */
        "Siti\xc2\x85Rahayu",     /* U+0085 next line (C1) */
        "Siti\xc2\x9bRahayu",     /* U+009B CSI (C1) */
        "Siti\x7fRahayu",         /* DEL */
        "Siti\xe2\x80\xa8Rahayu", /* U+2028 line separator */
        "Siti\xd8\x9cRahayu",     /* U+061C Arabic letter mark */
    };
    sertel_err err = {0};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(text_check_field("the full name", bad[i], 64, &err), SERTEL_ERR_INVALID);
        assert_non_null(strstr(err.msg, "the full name"));
        assert_non_null(strstr(err.msg, "U+"));
        assert_int_equal(text_check_note("the reason", bad[i], 500, &err), SERTEL_ERR_INVALID);
    }
    /* Letters from other scripts and accents are names, not tricks. */
    assert_int_equal(text_check_field("the full name", "I Gusti Ngurah Ra\xc3\xad", 64, &err),
                     SERTEL_OK);
    assert_int_equal(text_check_field("the full name", "\xd8\xb9\xd9\x84\xd9\x8a", 64, &err),
                     SERTEL_OK);
    /* A note may have several lines and tabs, nothing else of C0. */
    assert_int_equal(text_check_note("the reason", "surat\nkurang\tjelas", 500, &err), SERTEL_OK);
    assert_int_equal(text_check_note("the reason", "a\rb", 500, &err), SERTEL_ERR_INVALID);
    assert_int_equal(text_check_note("the reason", "", 500, &err), SERTEL_ERR_INVALID);
}

static void test_email(void **state)
{
    static const struct {
        const char *addr;
        int need_dot;
        const char *why; /* NULL: accepted */
    } cases[] = {
        {"rina.wulandari@kemkes.go.id", 1, NULL},
        {"a+b_c-d@x-y.id", 1, NULL},
        {"noreply@localhost", 0, NULL},
        {"noreply@localhost", 1, "no dot"},
        {"", 1, "empty"},
        {"Rina <rina@kemkes.go.id>", 1, "space"},
        {"<rina@kemkes.go.id>", 1, "'<' or '>'"},
        {"a@b.id,c@d.id", 1, "exactly one address"},
        {"rina.kemkes.go.id", 1, "no '@'"},
        {"a@b@c.id", 1, "more than one '@'"},
        {"@kemkes.go.id", 1, "before '@' is empty"},
        {"rina@", 1, "after '@' is empty"},
        {".rina@kemkes.go.id", 1, "misplaced '.'"},
        {"ri..na@kemkes.go.id", 1, "misplaced '.'"},
        {"\"rina\"@kemkes.go.id", 1, "not allowed there"},
        {"rina@kemkes..go.id", 1, "empty label"},
        {"rina@-kemkes.go.id", 1, "starts with '-'"},
        {"rina@kemkes-.go.id", 1, "ends with '-'"},
        {"rina@[127.0.0.1]", 1, "other than letters"},
        {"r\xc3\xacna@kemkes.go.id", 1, "non-ASCII"},
        {"rina@kemkes.go.id\r\nBcc: x@y.id", 1, "control character"},
    };
    char longaddr[300];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *why =
            text_email_problem(cases[i].addr, strlen(cases[i].addr), cases[i].need_dot);
        if (cases[i].why == NULL) {
            if (why != NULL)
                fail_msg("%s refused: %s", cases[i].addr, why);
        } else if (why == NULL || strstr(why, cases[i].why) == NULL) {
            fail_msg("%s: wanted '%s', got '%s'", cases[i].addr, cases[i].why, why ? why : "ok");
        }
    }
    memset(longaddr, 'a', 255);
    longaddr[10] = '@';
    longaddr[100] = '.';
    longaddr[255] = '\0';
    assert_non_null(strstr(text_email_problem(longaddr, 255, 1), "longer than 254"));
    memset(longaddr, 'a', 80);
    memcpy(longaddr + 65, "@kemkes.go.id", 14);
    assert_non_null(strstr(text_email_problem(longaddr, strlen(longaddr), 1), "longer than 64"));
}

static void test_html(void **state)
{
    dynbuf b;

    (void)state;
    dynbuf_init(&b, 256);
    assert_int_equal(text_html_escape(&b, "<a href=\"x\" onclick='y'>R&D</a> é"), SERTEL_OK);
    assert_string_equal(b.p, "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;R&amp;D&lt;/a&gt; é");
    dynbuf_free(&b);
    dynbuf_init(&b, 8); /* past the buffer's maximum: the failure, not a cut */
    assert_int_not_equal(text_html_escape(&b, "<<<<<<<<"), SERTEL_OK);
    dynbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_invisible_and_bidi),
        cmocka_unit_test(test_email),
        cmocka_unit_test(test_html),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
