/*
 * num.c - checked, locale-independent number parsing, and formatting in
 * the "C" locale (see num.h).
 *
 * Decimals are accumulated as an integer of their significant digits and a
 * power of ten (exact up to 2^53), then divided once: "612.0", "612" and
 * "0612.00" give the same double, and so does any locale.
 */
#include "util/num.h"

#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int num_parse_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    uint64_t v = 0, lim;

    if (len > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == len || len - i > 19)
        return SERTEL_ERR_INVALID;
    lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9')
            return SERTEL_ERR_INVALID;
        d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10)
            return SERTEL_ERR_INVALID;
        v = v * 10 + d;
    }
    {
        int64_t r = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
        if (r < min || r > max)
            return SERTEL_ERR_INVALID;
        *out = r;
    }
    return SERTEL_OK;
}

int num_parse_i64z(const char *s, int64_t min, int64_t max, int64_t *out)
{
    return num_parse_i64(s, strlen(s), min, max, out);
}

int num_parse_decimal(const char *s, size_t len, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0, digits = 0, sig = 0;
    int neg = 0, dot = 0, scale = 0;
    uint64_t m = 0;
    double v;

    if (len > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (len - i > NUM_DECIMAL_MAX_LEN)
        return SERTEL_ERR_INVALID;
    for (; i < len; i++) {
        unsigned d;
        if (s[i] == '.') {
            if (dot)
                return SERTEL_ERR_INVALID;
            dot = 1;
            continue;
        }
        if (s[i] < '0' || s[i] > '9')
            return SERTEL_ERR_INVALID;
        d = (unsigned)(s[i] - '0');
        digits++;
        if (m == 0 && d == 0) {
            if (dot && scale < 22)
                scale++;
            continue;
        }
        if (sig < 18) {
            m = m * 10 + d;
            sig++;
            if (dot)
                scale++;
        } else if (!dot) {
            return SERTEL_ERR_INVALID; /* 1e18 or more */
        }
        /* else: a digit past the 18th significant one, below any precision used */
    }
    if (digits == 0)
        return SERTEL_ERR_INVALID;
    while (scale > 22) {
        m /= 10;
        scale--;
    }
    v = (double)m / pow10[scale];
    *out = neg ? -v : v;
    return SERTEL_OK;
}

int num_parse_decimalz(const char *s, double *out)
{
    return num_parse_decimal(s, strlen(s), out);
}

int num_parse_decimal_list(const char *s, char sep, double min, double max, double *out, size_t n)
{
    size_t k;

    for (k = 0; k < n; k++) {
        const char *e = strchr(s, sep);
        size_t len = e != NULL ? (size_t)(e - s) : strlen(s);
        double v;
        if ((k + 1 < n) != (e != NULL) || num_parse_decimal(s, len, &v) != SERTEL_OK || v < min ||
            v > max)
            return SERTEL_ERR_INVALID;
        out[k] = v;
        s = e != NULL ? e + 1 : s + len;
    }
    return SERTEL_OK;
}

/* n digits at s as a number in [lo, hi]; -1 when not. */
static int digits(const char *s, int n, int lo, int hi)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v < lo || v > hi ? -1 : v;
}

int num_parse_time(const char *s, int64_t *out)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    struct tm tm;
    int y, mo, d, h = 0, mi = 0, se = 0, off = 0;
    size_t n = strlen(s), i = 10;

    memset(&tm, 0, sizeof(tm));
    if (n < 10 || s[4] != '-' || s[7] != '-' || (y = digits(s, 4, 1970, 9999)) < 0 ||
        (mo = digits(s + 5, 2, 1, 12)) < 0 || (d = digits(s + 8, 2, 1, 31)) < 0 ||
        d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
        return SERTEL_ERR_INVALID;
    if (i < n && (s[i] == 'T' || s[i] == ' ')) {
        if (n < i + 6 || s[i + 3] != ':' || (h = digits(s + i + 1, 2, 0, 23)) < 0 ||
            (mi = digits(s + i + 4, 2, 0, 59)) < 0)
            return SERTEL_ERR_INVALID;
        i += 6;
        if (i < n && s[i] == ':') {
            if (n < i + 3 || (se = digits(s + i + 1, 2, 0, 59)) < 0)
                return SERTEL_ERR_INVALID;
            i += 3;
        }
    }
    if (i < n && s[i] == 'Z') {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        if (n < i + 6 || s[i + 3] != ':' || (oh = digits(s + i + 1, 2, 0, 14)) < 0 ||
            (om = digits(s + i + 4, 2, 0, 59)) < 0)
            return SERTEL_ERR_INVALID;
        off = (oh * 60 + om) * 60 * (s[i] == '+' ? 1 : -1);
        i += 6;
    }
    if (i != n)
        return SERTEL_ERR_INVALID;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    *out = (int64_t)timegm(&tm) - off;
    return SERTEL_OK;
}

/* The "C" locale, made once; NULL when it could not be made (out of memory). */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

int num_vsnprintf(char *out, size_t cap, const char *fmt, va_list ap)
{
    locale_t old;
    int n;

    if (pthread_once(&c_locale_once, make_c_locale) != 0 || c_locale == (locale_t)0)
        return -1; /* never a number in another locale's form */
    old = uselocale(c_locale);
    n = vsnprintf(out, cap, fmt, ap);
    uselocale(old);
    return n;
}

int num_snprintf(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = num_vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    return n;
}
