/*
 * test_totp.c - one-time codes: every test vector of RFC 6238 Appendix B
 * and RFC 4226 Appendix D, the RFC 4648 base32 vectors, the otpauth URI,
 * and verification (window, replay, malformed codes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <string.h>

#include "ra/totp.h"

/* RFC 6238 Appendix B seeds: the ASCII digits repeated to the digest length. */
static const unsigned char seed20[] = "12345678901234567890";
static const unsigned char seed32[] = "12345678901234567890123456789012";
static const unsigned char seed64[] = "1234567890123456789012345678901234567890"
                                      "123456789012345678901234";

static void test_rfc6238_vectors(void **state)
{
    static const struct {
        uint64_t t;
        const char *sha1, *sha256, *sha512;
        uint64_t step;
    } v[] = {
        {59, "94287082", "46119246", "90693936", 0x1},
        {1111111109, "07081804", "68084774", "25091201", 0x23523EC},
        {1111111111, "14050471", "67062674", "99943326", 0x23523ED},
        {1234567890, "89005924", "91819424", "93441116", 0x273EF07},
        {2000000000, "69279037", "90698825", "38618901", 0x3F940AA},
        {20000000000ULL, "65353130", "77737706", "47863826", 0x27BC86AA},
    };
    char code[TOTP_CODE_BUF];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        assert_int_equal(v[i].t / TOTP_PERIOD, v[i].step);
        assert_int_equal(totp_code(seed20, 20, v[i].t, 8, EVP_sha1(), code), SERTEL_OK);
        assert_string_equal(code, v[i].sha1);
        assert_int_equal(totp_code(seed20, 20, v[i].t, 8, NULL, code), SERTEL_OK);
        assert_string_equal(code, v[i].sha1);
        assert_int_equal(totp_code(seed32, 32, v[i].t, 8, EVP_sha256(), code), SERTEL_OK);
        assert_string_equal(code, v[i].sha256);
        assert_int_equal(totp_code(seed64, 64, v[i].t, 8, EVP_sha512(), code), SERTEL_OK);
        assert_string_equal(code, v[i].sha512);
        /* fewer digits are the low digits of the same number */
        assert_int_equal(totp_code(seed20, 20, v[i].t, 6, EVP_sha1(), code), SERTEL_OK);
        assert_string_equal(code, v[i].sha1 + 2);
        assert_int_equal(totp_code(seed64, 64, v[i].t, 7, EVP_sha512(), code), SERTEL_OK);
        assert_string_equal(code, v[i].sha512 + 1);
    }
}

static void test_rfc4226_vectors(void **state)
{
    static const char *const hotp[10] = {"755224", "287082", "359152", "969429", "338314",
                                         "254676", "287922", "162583", "399871", "520489"};
    char code[TOTP_CODE_BUF];
    uint64_t c;

    (void)state;
    for (c = 0; c < 10; c++) {
        assert_int_equal(totp_hotp(seed20, 20, c, 6, NULL, code), SERTEL_OK);
        assert_string_equal(code, hotp[c]);
        /* TOTP is HOTP of the step: the first and last second of step c */
        assert_int_equal(totp_code(seed20, 20, c * 30, 6, NULL, code), SERTEL_OK);
        assert_string_equal(code, hotp[c]);
        assert_int_equal(totp_code(seed20, 20, c * 30 + 29, 6, NULL, code), SERTEL_OK);
        assert_string_equal(code, hotp[c]);
    }
}

static void test_code_arguments(void **state)
{
    char code[TOTP_CODE_BUF];

    (void)state;
    assert_int_equal(totp_hotp(seed20, 20, 0, 5, NULL, code), SERTEL_ERR_INVALID);
    assert_string_equal(code, "");
    assert_int_equal(totp_hotp(seed20, 20, 0, 9, NULL, code), SERTEL_ERR_INVALID);
    assert_int_equal(totp_hotp(seed20, 0, 0, 6, NULL, code), SERTEL_ERR_INVALID);
    assert_int_equal(totp_hotp(seed20, 20, 0, 6, EVP_md5(), code), SERTEL_ERR_UNSUPPORTED);
    assert_int_equal(totp_hotp(seed20, 20, 0, 6, EVP_sha384(), code), SERTEL_ERR_UNSUPPORTED);
}

static void test_base32_rfc4648(void **state)
{
    static const struct {
        const char *in, *out;
    } v[] = {
        {"", ""},
        {"f", "MY======"},
        {"fo", "MZXQ===="},
        {"foo", "MZXW6==="},
        {"foob", "MZXW6YQ="},
        {"fooba", "MZXW6YTB"},
        {"foobar", "MZXW6YTBOI======"},
    };
    char enc[64];
    unsigned char dec[64];
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        size_t len = strlen(v[i].in);
        assert_int_equal(totp_base32_encode((const unsigned char *)v[i].in, len, enc, sizeof(enc)),
                         SERTEL_OK);
        assert_string_equal(enc, v[i].out);
        /* the exact documented capacity is enough */
        assert_int_equal(
            totp_base32_encode((const unsigned char *)v[i].in, len, enc, (len + 4) / 5 * 8 + 1),
            SERTEL_OK);
        assert_int_equal(totp_base32_decode(v[i].out, dec, sizeof(dec), &n), SERTEL_OK);
        assert_int_equal(n, len);
        assert_memory_equal(dec, v[i].in, len);
    }
    /* without padding, and in lower case */
    assert_int_equal(totp_base32_decode("MZXW6YTBOI", dec, sizeof(dec), &n), SERTEL_OK);
    assert_int_equal(n, 6);
    assert_memory_equal(dec, "foobar", 6);
    assert_int_equal(totp_base32_decode("mzxw6ytboi", dec, sizeof(dec), &n), SERTEL_OK);
    assert_memory_equal(dec, "foobar", 6);
    assert_int_equal(totp_base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", dec, sizeof(dec), &n),
                     SERTEL_OK);
    assert_int_equal(n, 20);
    assert_memory_equal(dec, seed20, 20);
}

static void test_base32_rejects(void **state)
{
    static const char *const bad[] = {
        "M",                /* 1 character cannot end a group */
        "MZX",              /* nor 3 */
        "MZXW6Y",           /* nor 6 */
        "MY=====",          /* padding short of the group */
        "MY=======",        /* padding past the group */
        "MZXW6YTB========", /* a whole group of padding */
        "MZ",               /* unused bits not zero */
        "MZXW6YTBOJ",       /* ditto in the last character */
        "MZXW 6YTB",        /* space */
        "MZXW-6YTB",        /* separator */
        "MZXW6YT1",         /* 1 is not in the alphabet */
        "MZXW6YT8",         /* nor 8 */
        "MZXW6YT0",         /* nor 0 */
        "MY==MY==",         /* padding in the middle */
        "=",
    };
    unsigned char dec[64];
    char enc[9];
    size_t i, n = 99;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (totp_base32_decode(bad[i], dec, sizeof(dec), &n) != SERTEL_ERR_INVALID)
            fail_msg("'%s' was accepted", bad[i]);
    assert_int_equal(n, 0);
    /* the result would not fit */
    assert_int_equal(totp_base32_decode("MZXW6YTBOI", dec, 5, &n), SERTEL_ERR_INVALID);
    assert_int_equal(totp_base32_decode("MZXW6YTBOI", dec, 6, &n), SERTEL_OK);
    /* encode: one byte short of room */
    assert_int_equal(totp_base32_encode((const unsigned char *)"fooba", 5, enc, 8),
                     SERTEL_ERR_INVALID);
    assert_string_equal(enc, "");
    assert_int_equal(totp_base32_encode((const unsigned char *)"fooba", 5, enc, 9), SERTEL_OK);
}

static void test_base32_roundtrip(void **state)
{
    unsigned char in[TOTP_SECRET_MAX], dec[TOTP_SECRET_MAX];
    char enc[(TOTP_SECRET_MAX + 4) / 5 * 8 + 1];
    size_t len, n, i;

    (void)state;
    for (len = 0; len <= TOTP_SECRET_MAX; len++) {
        for (i = 0; i < len; i++)
            in[i] = (unsigned char)(i * 37 + len * 11 + 0xa5);
        assert_int_equal(totp_base32_encode(in, len, enc, sizeof(enc)), SERTEL_OK);
        assert_int_equal(strlen(enc) % 8, 0);
        assert_int_equal(totp_base32_decode(enc, dec, sizeof(dec), &n), SERTEL_OK);
        assert_int_equal(n, len);
        assert_memory_equal(dec, in, len);
        /* and with the padding removed, as in otpauth URIs */
        enc[strcspn(enc, "=")] = '\0';
        assert_int_equal(totp_base32_decode(enc, dec, sizeof(dec), &n), SERTEL_OK);
        assert_int_equal(n, len);
        assert_memory_equal(dec, in, len);
    }
}

static void test_generate_secret(void **state)
{
    unsigned char a[TOTP_SECRET_LEN], b[TOTP_SECRET_LEN], zero[TOTP_SECRET_LEN] = {0};
    unsigned char big[TOTP_SECRET_MAX + 1];

    (void)state;
    assert_int_equal(totp_generate_secret(a, sizeof(a)), SERTEL_OK);
    assert_int_equal(totp_generate_secret(b, sizeof(b)), SERTEL_OK);
    assert_memory_not_equal(a, b, sizeof(a));
    assert_memory_not_equal(a, zero, sizeof(a));
    assert_int_equal(totp_generate_secret(a, TOTP_SECRET_MIN - 1), SERTEL_ERR_INVALID);
    assert_int_equal(totp_generate_secret(big, sizeof(big)), SERTEL_ERR_INVALID);
    assert_int_equal(totp_generate_secret(big, TOTP_SECRET_MAX), SERTEL_OK);
}

static void test_uri(void **state)
{
    char uri[TOTP_URI_MAX];
    sertel_err err = {0};
    unsigned char sixteen[16];

    (void)state;
    assert_int_equal(
        totp_uri("Sertel Kemkes", "budi@kemkes.go.id", seed20, 20, uri, sizeof(uri), &err),
        SERTEL_OK);
    assert_string_equal(uri, "otpauth://totp/Sertel%20Kemkes:budi%40kemkes.go.id"
                             "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Sertel%20Kemkes"
                             "&algorithm=SHA1&digits=6&period=30");

    /* UTF-8 and reserved characters are percent-encoded; the padding is dropped */
    memset(sixteen, 0, sizeof(sixteen));
    assert_int_equal(totp_uri_ex("Pemkab Ñ&?=/#", "a+b~c_d.e-f", sixteen, sizeof(sixteen), 8,
                                 EVP_sha256(), uri, sizeof(uri), &err),
                     SERTEL_OK);
    assert_string_equal(uri, "otpauth://totp/Pemkab%20%C3%91%26%3F%3D%2F%23:a%2Bb~c_d.e-f"
                             "?secret=AAAAAAAAAAAAAAAAAAAAAAAAAA&issuer=Pemkab%20%C3%91%26%3F%3D%2F"
                             "%23&algorithm=SHA256&digits=8&period=30");
    assert_int_equal(totp_uri_ex("I", "A", seed64, 64, 7, EVP_sha512(), uri, sizeof(uri), &err),
                     SERTEL_OK);
    assert_non_null(strstr(uri, "&algorithm=SHA512&digits=7&period=30"));
}

static void test_uri_rejects(void **state)
{
    char uri[TOTP_URI_MAX], longer[TOTP_LABEL_MAX + 2], most[TOTP_LABEL_MAX + 1];
    sertel_err err = {0};

    (void)state;
    assert_int_equal(totp_uri("Sertel:X", "budi", seed20, 20, uri, sizeof(uri), &err),
                     SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "issuer must not contain ':'"));
    assert_string_equal(uri, "");
    assert_int_equal(totp_uri("Sertel", "a:b", seed20, 20, uri, sizeof(uri), &err),
                     SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "account name must not contain ':'"));
    assert_int_equal(totp_uri("Sertel", "budi\r\nx", seed20, 20, uri, sizeof(uri), &err),
                     SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "control character 0x0D at byte 5"));
    assert_int_equal(totp_uri("", "budi", seed20, 20, uri, sizeof(uri), &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "issuer must be 1 to 200 bytes (got 0)"));
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(totp_uri("Sertel", longer, seed20, 20, uri, sizeof(uri), &err),
                     SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "got more than 200"));
    assert_int_equal(totp_uri("Sertel", "budi", seed20, 15, uri, sizeof(uri), &err),
                     SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "16 to 64 bytes (got 15)"));
    assert_int_equal(totp_uri_ex("Sertel", "budi", seed20, 20, 9, NULL, uri, sizeof(uri), &err),
                     SERTEL_ERR_INVALID);
    assert_int_equal(
        totp_uri_ex("Sertel", "budi", seed20, 20, 6, EVP_md5(), uri, sizeof(uri), &err),
        SERTEL_ERR_UNSUPPORTED);
    /* too small an output: refused, and nothing of the secret is left in it */
    assert_int_equal(totp_uri("Sertel", "budi", seed20, 20, uri, 60, &err), SERTEL_ERR_INVALID);
    assert_string_equal(uri, "");
    assert_null(memmem(uri, 60, "GEZDG", 5));
    /* the longest labels with every byte encoded fit in TOTP_URI_MAX */
    memset(most, '@', sizeof(most) - 1);
    most[sizeof(most) - 1] = '\0';
    assert_int_equal(totp_uri_ex(most, most, seed64, 64, 8, EVP_sha512(), uri, sizeof(uri), &err),
                     SERTEL_OK);
}

static void test_verify(void **state)
{
    const uint64_t now = 1111111111; /* step 37037037 */
    const uint64_t step = now / 30;
    char prev[TOTP_CODE_BUF], cur[TOTP_CODE_BUF], next[TOTP_CODE_BUF], far[TOTP_CODE_BUF];
    uint64_t matched = 0;

    (void)state;
    assert_int_equal(totp_hotp(seed20, 20, step - 1, 6, NULL, prev), SERTEL_OK);
    assert_int_equal(totp_hotp(seed20, 20, step, 6, NULL, cur), SERTEL_OK);
    assert_int_equal(totp_hotp(seed20, 20, step + 1, 6, NULL, next), SERTEL_OK);
    assert_int_equal(totp_hotp(seed20, 20, step + 2, 6, NULL, far), SERTEL_OK);
    assert_string_equal(cur, "050471"); /* RFC 6238 vector, 6 digits */

    assert_int_equal(totp_verify(seed20, 20, cur, now, 1, 0, &matched), SERTEL_OK);
    assert_int_equal(matched, step);
    assert_int_equal(totp_verify(seed20, 20, cur, now, 0, 0, NULL), SERTEL_OK);

    /* window: one step either side with window 1, not with 0, never two */
    assert_int_equal(totp_verify(seed20, 20, prev, now, 1, 0, &matched), SERTEL_OK);
    assert_int_equal(matched, step - 1);
    assert_int_equal(totp_verify(seed20, 20, next, now, 1, 0, &matched), SERTEL_OK);
    assert_int_equal(matched, step + 1);
    assert_int_equal(totp_verify(seed20, 20, prev, now, 0, 0, &matched), SERTEL_ERR_DENIED);
    assert_int_equal(totp_verify(seed20, 20, next, now, 0, 0, &matched), SERTEL_ERR_DENIED);
    assert_int_equal(totp_verify(seed20, 20, far, now, 1, 0, &matched), SERTEL_ERR_DENIED);
    assert_int_equal(totp_verify(seed20, 20, far, now, 2, 0, &matched), SERTEL_OK);
    assert_int_equal(matched, step + 2);

    /* a wrong code */
    assert_int_equal(
        totp_verify(seed20, 20, strcmp(cur, "000000") ? "000000" : "000001", now, 1, 0, &matched),
        SERTEL_ERR_DENIED);
    /* a different secret (seed32 starts with seed20: skip the first byte) */
    assert_int_equal(totp_verify(seed32 + 1, 20, cur, now, 1, 0, &matched), SERTEL_ERR_DENIED);

    /* window out of range */
    assert_int_equal(totp_verify(seed20, 20, cur, now, -1, 0, &matched), SERTEL_ERR_INVALID);
    assert_int_equal(totp_verify(seed20, 20, cur, now, TOTP_WINDOW_MAX + 1, 0, &matched),
                     SERTEL_ERR_INVALID);
}

static void test_replay(void **state)
{
    const uint64_t now = 1234567890;
    const uint64_t step = now / 30;
    char prev[TOTP_CODE_BUF], cur[TOTP_CODE_BUF], next[TOTP_CODE_BUF];
    uint64_t matched = 0, last;

    (void)state;
    assert_int_equal(totp_hotp(seed20, 20, step - 1, 6, NULL, prev), SERTEL_OK);
    assert_int_equal(totp_hotp(seed20, 20, step, 6, NULL, cur), SERTEL_OK);
    assert_int_equal(totp_hotp(seed20, 20, step + 1, 6, NULL, next), SERTEL_OK);

    assert_int_equal(totp_verify(seed20, 20, cur, now, 1, 0, &matched), SERTEL_OK);
    last = matched;
    /* the same code again, even seconds later in the same step: refused */
    matched = 42;
    assert_int_equal(totp_verify(seed20, 20, cur, now, 1, last, &matched), SERTEL_ERR_STATE);
    assert_int_equal(matched, 42);
    assert_int_equal(totp_verify(seed20, 20, cur, now + 29 - now % 30, 1, last, &matched),
                     SERTEL_ERR_STATE);
    /* and still refused in the next step, where it is within the window */
    assert_int_equal(totp_verify(seed20, 20, cur, now + 30, 1, last, &matched), SERTEL_ERR_STATE);
    /* an older code than the last one used is refused too */
    assert_int_equal(totp_verify(seed20, 20, prev, now, 1, last, &matched), SERTEL_ERR_STATE);
    /* a later one is fine */
    assert_int_equal(totp_verify(seed20, 20, next, now, 1, last, &matched), SERTEL_OK);
    assert_int_equal(matched, step + 1);
    last = matched;
    assert_int_equal(totp_verify(seed20, 20, next, now + 30, 1, last, &matched), SERTEL_ERR_STATE);
    /* a wrong code under replay protection is still "wrong", not "replay" */
    assert_int_equal(totp_verify(seed20, 20, "000000", now, 1, last, &matched) == SERTEL_ERR_STATE,
                     0);
}

static void test_malformed(void **state)
{
    /* "\357\274\220" is U+FF10, a full-width zero: a digit, but not ASCII */
    static const char *const bad[] = {
        "",       "05047",  "0504711", "05047a", " 050471",           "050471 ", "050471\n",
        "+50471", "-50471", "05 471",  "0x5047", "\357\274\22050471", "5e+5",
    };
    const uint64_t now = 1111111111;
    uint64_t matched = 7;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (totp_verify(seed20, 20, bad[i], now, 1, 0, &matched) != SERTEL_ERR_INVALID)
            fail_msg("code '%s' was not refused as malformed", bad[i]);
    assert_int_equal(matched, 7);
    /* a right 6-digit code is malformed where 8 digits are expected */
    assert_int_equal(totp_verify_ex(seed20, 20, "050471", now, 1, 0, 8, NULL, &matched),
                     SERTEL_ERR_INVALID);
    assert_int_equal(totp_verify_ex(seed20, 20, "14050471", now, 1, 0, 8, NULL, &matched),
                     SERTEL_OK);
    assert_int_equal(totp_verify_ex(seed20, 20, "14050471", now, 1, 0, 9, NULL, &matched),
                     SERTEL_ERR_INVALID);
}

static void test_verify_ex_vectors(void **state)
{
    uint64_t matched = 0;

    (void)state;
    /* RFC 6238 at T = 59 (step 1), 8 digits, each digest with its seed */
    assert_int_equal(totp_verify_ex(seed20, 20, "94287082", 59, 1, 0, 8, EVP_sha1(), &matched),
                     SERTEL_OK);
    assert_int_equal(matched, 1);
    assert_int_equal(totp_verify_ex(seed32, 32, "46119246", 59, 1, 0, 8, EVP_sha256(), &matched),
                     SERTEL_OK);
    assert_int_equal(totp_verify_ex(seed64, 64, "90693936", 59, 1, 0, 8, EVP_sha512(), &matched),
                     SERTEL_OK);
    /* the same code under another digest is wrong */
    assert_int_equal(totp_verify_ex(seed32, 32, "90693936", 59, 1, 0, 8, EVP_sha256(), &matched),
                     SERTEL_ERR_DENIED);
    /* near the epoch the window does not wrap below step 0 */
    assert_int_equal(totp_verify_ex(seed20, 20, "94287082", 0, 1, 0, 8, NULL, &matched), SERTEL_OK);
    assert_int_equal(matched, 1);
    assert_int_equal(totp_verify_ex(seed20, 20, "84755224", 0, 3, 0, 8, NULL, &matched),
                     SERTEL_ERR_STATE); /* HOTP(0), step 0 counts as used */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6238_vectors),
        cmocka_unit_test(test_rfc4226_vectors),
        cmocka_unit_test(test_code_arguments),
        cmocka_unit_test(test_base32_rfc4648),
        cmocka_unit_test(test_base32_rejects),
        cmocka_unit_test(test_base32_roundtrip),
        cmocka_unit_test(test_generate_secret),
        cmocka_unit_test(test_uri),
        cmocka_unit_test(test_uri_rejects),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_replay),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_verify_ex_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
