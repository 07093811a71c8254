/*
 * test_dl.c - libraries loaded on first use (lib/util/dl.c): a library
 * that is there is loaded once and its functions work; a soname that is
 * not installed, or a function the library lacks, is refused with a
 * message naming the library and the package, and the refusal is
 * remembered; several threads loading at once get one library.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include "util/dl.h"

static const char *const z_names[] = {"zlibVersion", "crc32"};
static void *z_fns[2];
static dl_lib z = DL_LIB_INIT("libz.so.1", "zlib1g", z_names, z_fns);

static void test_loads(void **state)
{
    sertel_err err = {0};
    const char *(*version)(void);
    unsigned long (*crc)(unsigned long, const unsigned char *, unsigned);

    (void)state;
    assert_int_equal(dl_load(&z, &err), SERTEL_OK);
    version = (const char *(*)(void))z_fns[0];
    crc = (unsigned long (*)(unsigned long, const unsigned char *, unsigned))z_fns[1];
    assert_non_null(version);
    assert_true(strlen(version()) > 0);
    /* the check value of CRC-32 (ISO-HDLC) over "123456789" */
    assert_int_equal(crc(0, (const unsigned char *)"123456789", 9), 0xCBF43926UL);
    assert_int_equal(dl_load(&z, NULL), SERTEL_OK); /* once loaded, no err needed */
}

static const char *const none_names[] = {"nothing"};
static void *none_fns[1];
static dl_lib none =
    DL_LIB_INIT("libsertel-not-installed.so.9", "sertel-test-pkg", none_names, none_fns);

static const char *const bad_names[] = {"zlibVersion", "sertel_no_such_function"};
static void *bad_fns[2];
static dl_lib bad = DL_LIB_INIT("libz.so.1", "zlib1g", bad_names, bad_fns);

static void test_refused(void **state)
{
    sertel_err err = {0};

    (void)state;
    assert_int_equal(dl_load(&none, &err), SERTEL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "libsertel-not-installed.so.9 cannot be loaded"));
    assert_non_null(strstr(err.msg, "install the package sertel-test-pkg"));
    memset(&err, 0, sizeof(err));
    assert_int_equal(dl_load(&none, &err), SERTEL_ERR_UNSUPPORTED); /* remembered */
    assert_non_null(strstr(err.msg, "sertel-test-pkg"));
    assert_int_equal(dl_load(&bad, &err), SERTEL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "has no sertel_no_such_function"));
}

static const char *const m_names[] = {"deflateInit_", "inflateInit_"};
static void *m_fns[2];
static dl_lib many = DL_LIB_INIT("libz.so.1", "zlib1g", m_names, m_fns);

static void *load_in_thread(void *p)
{
    (void)p;
    return dl_load(&many, NULL) == SERTEL_OK ? m_fns[1] : NULL;
}

static void test_threads(void **state)
{
    pthread_t t[8];
    void *got[8];
    int i;

    (void)state;
    for (i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&t[i], NULL, load_in_thread, NULL), 0);
    for (i = 0; i < 8; i++)
        assert_int_equal(pthread_join(t[i], &got[i]), 0);
    for (i = 0; i < 8; i++) {
        assert_non_null(got[i]);
        assert_ptr_equal(got[i], got[0]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_threads),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
