/*
 * test_api_parts.c - the API's pieces that need no server: the language
 * Accept-Language picks, the client's address behind trusted proxies
 * (X-Forwarded-For read from the right, never believed from others),
 * loopback addresses, the error catalogue (sorted, both languages,
 * every code the dispatcher and the endpoints answer), RFC 3339 times read
 * and written, form fields (one of each, text or file as asked), and
 * secrets wiped from a request once answered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "api/api_int.h"

size_t api_catalogue_size(void);
const char *api_catalogue_code(size_t i);

static void test_lang(void **state)
{
    (void)state;
    assert_int_equal(api_lang_pick(NULL), API_LANG_ID);
    assert_int_equal(api_lang_pick(""), API_LANG_ID);
    assert_int_equal(api_lang_pick("en"), API_LANG_EN);
    assert_int_equal(api_lang_pick("en-US,en;q=0.9"), API_LANG_EN);
    assert_int_equal(api_lang_pick("id-ID,id;q=0.9,en;q=0.8"), API_LANG_ID);
    assert_int_equal(api_lang_pick("en;q=0.5, id"), API_LANG_ID);
    assert_int_equal(api_lang_pick("id;q=0.3, EN;q=0.7"), API_LANG_EN);
    assert_int_equal(api_lang_pick("fr, de"), API_LANG_ID);
    assert_int_equal(api_lang_pick("en;q=0"), API_LANG_ID);
    assert_int_equal(api_lang_pick("eng"), API_LANG_ID); /* not the tag "en" */
    assert_int_equal(api_lang_pick("*"), API_LANG_ID);
    assert_int_equal(api_lang_pick(";;;,,,q=,en;q=0.1"), API_LANG_EN);
}

static void test_client_addr(void **state)
{
    api a;
    char out[64];

    (void)state;
    memset(&a, 0, sizeof(a));
    /* no trusted proxies: X-Forwarded-For is never believed */
    api_client_addr(&a, "203.0.113.5", "198.51.100.1", out, sizeof(out));
    assert_string_equal(out, "203.0.113.5");
    snprintf(a.trusted[0], sizeof(a.trusted[0]), "10.0.0.1");
    snprintf(a.trusted[1], sizeof(a.trusted[1]), "10.0.0.2");
    a.ntrusted = 2;
    /* an untrusted peer: its header is ignored */
    api_client_addr(&a, "203.0.113.5", "198.51.100.1", out, sizeof(out));
    assert_string_equal(out, "203.0.113.5");
    /* a trusted proxy: the right-most entry it did not add */
    api_client_addr(&a, "10.0.0.1", "1.1.1.1, 198.51.100.7", out, sizeof(out));
    assert_string_equal(out, "198.51.100.7");
    /* a chain of trusted proxies is skipped; a forged left part is not believed */
    api_client_addr(&a, "10.0.0.1", "6.6.6.6,198.51.100.7 , 10.0.0.2", out, sizeof(out));
    assert_string_equal(out, "198.51.100.7");
    /* only trusted entries: the left-most of them */
    api_client_addr(&a, "10.0.0.1", "10.0.0.2", out, sizeof(out));
    assert_string_equal(out, "10.0.0.2");
    /* garbage stops the walk at the last good address */
    api_client_addr(&a, "10.0.0.1", "x, 198.51.100.7", out, sizeof(out));
    assert_string_equal(out, "198.51.100.7");
    api_client_addr(&a, "10.0.0.1", "198.51.100.7, not-an-ip", out, sizeof(out));
    assert_string_equal(out, "10.0.0.1");
    api_client_addr(&a, "10.0.0.1", "", out, sizeof(out));
    assert_string_equal(out, "10.0.0.1");
    api_client_addr(&a, "10.0.0.1", "2001:db8::1", out, sizeof(out));
    assert_string_equal(out, "2001:db8::1");
}

static void test_loopback(void **state)
{
    (void)state;
    assert_true(api_addr_loopback("127.0.0.1"));
    assert_true(api_addr_loopback("127.8.9.10"));
    assert_true(api_addr_loopback("::1"));
    assert_true(api_addr_loopback("::ffff:127.0.0.1"));
    assert_false(api_addr_loopback("128.0.0.1"));
    assert_false(api_addr_loopback("10.0.0.1"));
    assert_false(api_addr_loopback("::2"));
    assert_false(api_addr_loopback("-"));
    assert_false(api_addr_loopback("localhost"));
}

static void test_catalogue(void **state)
{
    static const char *const used[] = {
        "busy",
        "client_unauthorized",
        "csrf_invalid",
        "factor_enrolment_needed",
        "field_invalid",
        "field_missing",
        "forbidden",
        "internal",
        "invalid_json",
        "invalid_request",
        "login_required",
        "not_found",
        "conflict",
        "session_invalid",
        "tls_required",
        "wrong_state",
        "login_failed",
        "login_throttled",
        "code_required",
        /* signing (ep_sign.c) and the dispatcher's rate limit */
        "cannot_sign",
        "file_invalid",
        "overloaded",
        "passphrase_wrong",
        "rate_limited",
        "signing_locked",
        "too_many_files",
        /* the people, applications and link pages */
        "confirmation_required",
        "cps_missing",
        "current_password_wrong",
        "factor_enrolled",
        "nik_invalid",
        "no_certificate",
        "passphrase_weak",
        "password_weak",
        "token_invalid",
        "upload_refused",
    };
    size_t i, n = api_catalogue_size();

    (void)state;
    assert_true(n > 10);
    for (i = 1; i < n; i++)
        assert_true(strcmp(api_catalogue_code(i - 1), api_catalogue_code(i)) < 0);
    for (i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
        const char *id = api_message(used[i], API_LANG_ID), *en = api_message(used[i], API_LANG_EN);
        assert_string_not_equal(id, used[i]); /* found */
        assert_string_not_equal(id, en);
    }
    assert_string_equal(api_message("no_such_code", API_LANG_EN), "no_such_code");
}

/* The BSrE facade's codes: in the catalogue in both languages, with BSrE's numbers. */
static void test_facade_codes(void **state)
{
    static const struct {
        const char *code;
        int http, status_code;
    } want[] = {
        {"facade_passphrase_wrong", 400, 2031},
        {"facade_not_registered", 400, 2011},
        {"facade_no_certificate", 400, 2021},
        {"facade_locked", 400, 2032},
        {"facade_totp_wrong", 400, 2033},
        {"facade_factor_required", 403, 2041},
        {"facade_already_downloaded", 404, 4044},
        {"field_missing", 400, 4014},
        {"field_invalid", 400, 4015},
        {"invalid_json", 400, 4015},
        {"invalid_request", 400, 4015},
        {"conflict", 409, 4024},
        {"client_unauthorized", 401, 401},
        {"busy", 503, 503},
        {"facade_seal_deferred", 404, 404},
        {"internal", 500, 500},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(api_facade_code(want[i].code, want[i].http), want[i].status_code);
        assert_string_not_equal(api_message(want[i].code, API_LANG_ID), want[i].code);
        assert_string_not_equal(api_message(want[i].code, API_LANG_ID),
                                api_message(want[i].code, API_LANG_EN));
    }
    /* BSrE's own wording, as its clients compare it. */
    assert_string_equal(api_message("facade_passphrase_wrong", API_LANG_ID),
                        "Passphrase anda salah");
    assert_string_equal(api_message("facade_already_downloaded", API_LANG_ID),
                        "Dokumen telah didownload sebelumnya");
}

static void test_times(void **state)
{
    int64_t t = 0;
    char s[21];

    (void)state;
    assert_int_equal(api_time_parse("1970-01-01T00:00:00Z", &t), SERTEL_OK);
    assert_int_equal(t, 0);
    assert_int_equal(api_time_parse("2026-12-07T10:00:00Z", &t), SERTEL_OK);
    assert_int_equal(t, 1796637600);
    api_time_str(t, s);
    assert_string_equal(s, "2026-12-07T10:00:00Z");
    /* an offset: WIB is UTC+7 */
    assert_int_equal(api_time_parse("2026-12-07T17:00:00+07:00", &t), SERTEL_OK);
    assert_int_equal(t, 1796637600);
    assert_int_equal(api_time_parse("2026-12-07T09:30:00.123-00:30", &t), SERTEL_OK);
    assert_int_equal(t, 1796637600);
    assert_int_equal(api_time_parse("2024-02-29T00:00:00Z", &t), SERTEL_OK);
    assert_int_equal(t, 1709164800);
    assert_int_equal(api_time_parse("2000-03-01T00:00:00z", &t), SERTEL_OK);
    assert_int_equal(t, 951868800);
    /* refused */
    const char *bad[] = {"",
                         "2026-12-07",
                         "2026-12-07 10:00:00Z",
                         "2026-12-07T10:00:00",
                         "2026-13-07T10:00:00Z",
                         "2025-02-29T00:00:00Z",
                         "2026-04-31T00:00:00Z",
                         "2026-12-07T24:00:00Z",
                         "2026-12-07T10:00:00+7:00",
                         "2026-12-07T10:00:00Zjunk",
                         "2026-12-07T10:00:00.Z",
                         "+026-12-07T10:00:00Z",
                         "1969-12-31T23:59:59Z",
                         "1800000000"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (api_time_parse(bad[i], &t) != SERTEL_ERR_INVALID)
            fail_msg("accepted '%s'", bad[i]);
    assert_true(json_is_null(api_time_json(0)));
}

static void test_form_fields(void **state)
{
    char pw[] = "rahasia sekali", again[] = "rahasia sekali", body[] = "{\"x\":\"y\"}",
         type[] = "issuance";
    http_field f[4] = {
        {"type", NULL, NULL, (const unsigned char *)type, 8, -1},
        {"letter", "a.pdf", "application/pdf", NULL, 10, 7},
        {"secret", NULL, NULL, (const unsigned char *)pw, sizeof(pw) - 1, -1},
        {"secret", NULL, NULL, (const unsigned char *)again, sizeof(again) - 1, -1},
    };
    http_request req;
    http_response resp;
    api a;
    api_call c;
    const char *v;
    const http_field *file;

    (void)state;
    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    memset(&a, 0, sizeof(a));
    memset(&c, 0, sizeof(c));
    req.method = "POST";
    req.path = "/api/v1/applications";
    req.fields = f;
    req.nfields = 4;
    req.body = (const unsigned char *)body;
    req.body_len = strlen(body);
    c.a = &a;
    c.req = &req;
    c.resp = &resp;
    assert_int_equal(api_form_str(&c, "type", true, 16, &v), SERTEL_OK);
    assert_string_equal(v, "issuance");
    assert_int_equal(api_form_str(&c, "type", true, 4, &v), SERTEL_ERR_INVALID); /* too long */
    assert_int_equal(resp.status, 400);
    resp.body_free((void *)resp.body);
    assert_int_equal(api_form_str(&c, "note", false, 16, &v), SERTEL_OK);
    assert_null(v);
    assert_int_equal(api_form_str(&c, "note", true, 16, &v), SERTEL_ERR_INVALID);
    resp.body_free((void *)resp.body);
    /* a file where text belongs, and the other way round */
    assert_int_equal(api_form_str(&c, "letter", true, 16, &v), SERTEL_ERR_INVALID);
    resp.body_free((void *)resp.body);
    assert_int_equal(api_form_file(&c, "type", &file), SERTEL_ERR_INVALID);
    resp.body_free((void *)resp.body);
    assert_int_equal(api_form_file(&c, "letter", &file), SERTEL_OK);
    assert_int_equal(file->fd, 7);
    /* a field sent twice is refused, not the first one taken */
    assert_int_equal(api_form_str(&c, "secret", true, 64, &v), SERTEL_ERR_INVALID);
    assert_non_null(strstr((const char *)resp.body, "more than once"));
    resp.body_free((void *)resp.body);
    /* wiped once answered */
    api_wipe_secrets(&c);
    assert_int_equal(pw[0], 0);
    assert_int_equal(again[sizeof(again) - 2], 0);
    assert_int_equal(body[0], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_times),        cmocka_unit_test(test_form_fields),
        cmocka_unit_test(test_lang),         cmocka_unit_test(test_client_addr),
        cmocka_unit_test(test_loopback),     cmocka_unit_test(test_catalogue),
        cmocka_unit_test(test_facade_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
