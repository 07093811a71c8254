/*
 * nik.c - plausibility check of an Indonesian NIK (see nik.h).
 *
 * The province codes are those of the Ministry of Home Affairs
 * (Kemendagri; Permendagri 72/2019 and Kepmendagri 100.1.1-6117/2022 for
 * the Papua provinces formed in 2022), which Dukcapil uses in the NIK. The
 * statistics office (BPS) numbers Papua differently; its codes are not
 * NIK codes.
 *
 * Messages name the part at fault and the digits found, never the whole
 * number: a NIK is personal data and messages end up in logs.
 */
#include "ra/nik.h"

#include <stdio.h>
#include <string.h>

static const struct {
    int code;
    const char *name;
} provinces[] = {
    {11, "Aceh"},
    {12, "Sumatera Utara"},
    {13, "Sumatera Barat"},
    {14, "Riau"},
    {15, "Jambi"},
    {16, "Sumatera Selatan"},
    {17, "Bengkulu"},
    {18, "Lampung"},
    {19, "Kepulauan Bangka Belitung"},
    {21, "Kepulauan Riau"},
    {31, "DKI Jakarta"},
    {32, "Jawa Barat"},
    {33, "Jawa Tengah"},
    {34, "DI Yogyakarta"},
    {35, "Jawa Timur"},
    {36, "Banten"},
    {51, "Bali"},
    {52, "Nusa Tenggara Barat"},
    {53, "Nusa Tenggara Timur"},
    {61, "Kalimantan Barat"},
    {62, "Kalimantan Tengah"},
    {63, "Kalimantan Selatan"},
    {64, "Kalimantan Timur"},
    {65, "Kalimantan Utara"},
    {71, "Sulawesi Utara"},
    {72, "Sulawesi Tengah"},
    {73, "Sulawesi Selatan"},
    {74, "Sulawesi Tenggara"},
    {75, "Gorontalo"},
    {76, "Sulawesi Barat"},
    {81, "Maluku"},
    {82, "Maluku Utara"},
    {91, "Papua"},
    {92, "Papua Barat"},
    {93, "Papua Selatan"},
    {94, "Papua Tengah"},
    {95, "Papua Pegunungan"},
    {96, "Papua Barat Daya"},
};

static const char *const month_names[12] = {"January",   "February", "March",    "April",
                                            "May",       "June",     "July",     "August",
                                            "September", "October",  "November", "December"};

const char *nik_province_name(int code)
{
    size_t i;

    for (i = 0; i < sizeof(provinces) / sizeof(provinces[0]); i++)
        if (provinces[i].code == code)
            return provinces[i].name;
    return NULL;
}

/* Two digits at s, already known to be ASCII digits. */
static int two(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int m, int y)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* "a space", "'A'", "byte 0xC3": how to show one offending character. */
static void describe_char(unsigned char c, char *out, size_t cap)
{
    if (c == ' ')
        snprintf(out, cap, "a space");
    else if (c == '\t')
        snprintf(out, cap, "a tab");
    else if (c > 0x20 && c < 0x7f)
        snprintf(out, cap, "'%c'", c);
    else
        snprintf(out, cap, "byte 0x%02X", c);
}

static int check_shape(const char *nik, sertel_err *err)
{
    size_t len = strnlen(nik, 64), i;
    char what[16];

    for (i = 0; i < len; i++) {
        if (nik[i] < '0' || nik[i] > '9') {
            describe_char((unsigned char)nik[i], what, sizeof(what));
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "NIK must be 16 digits: character %zu is %s, not a digit "
                                  "(write the number without spaces or dots)",
                                  i + 1, what);
        }
    }
    if (len != NIK_LEN)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "NIK must be 16 digits (got %s%zu)",
                              len == 64 ? "more than " : "", len == 64 ? (size_t)63 : len);
    return SERTEL_OK;
}

static int check_birth(const char *d, time_t now, nik_info *info, sertel_err *err)
{
    int dd = two(d), mm = two(d + 2), yy = two(d + 4), day, year;
    struct tm today;

    if (dd >= 1 && dd <= 31) {
        day = dd;
        info->female = 0;
    } else if (dd >= 41 && dd <= 71) {
        day = dd - 40;
        info->female = 1;
    } else if (dd == 0 || dd == 40) {
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "NIK birth date day %.2s is not a day: men have 01-31, women "
                              "41-71 (the day plus 40)",
                              d);
    } else {
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "NIK birth date day %.2s is neither a man's day (01-31) nor a "
                              "woman's (41-71, the day plus 40)",
                              d);
    }
    if (mm < 1 || mm > 12)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "NIK birth date month %.2s is not a month (01-12)", d + 2);

    /* The century: 20YY unless that date is still to come. */
    if (gmtime_r(&now, &today) == NULL)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "cannot read today's date");
    year = 2000 + yy;
    if (year > today.tm_year + 1900 ||
        (year == today.tm_year + 1900 &&
         (mm > today.tm_mon + 1 || (mm == today.tm_mon + 1 && day > today.tm_mday))))
        year -= 100;

    if (day > days_in_month(mm, year)) {
        if (info->female)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "NIK birth date %.2s-%.2s-%.2s does not exist: a woman's day "
                                  "%.2s - 40 = %d, but %s %d has %d days",
                                  d, d + 2, d + 4, d, day, month_names[mm - 1], year,
                                  days_in_month(mm, year));
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "NIK birth date %.2s-%.2s-%.2s does not exist: %s %d has %d days", d,
                              d + 2, d + 4, month_names[mm - 1], year, days_in_month(mm, year));
    }
    info->birth_day = day;
    info->birth_month = mm;
    info->birth_year = year;
    return SERTEL_OK;
}

static int check(const char *nik, time_t now, nik_info *out, sertel_err *err)
{
    nik_info info;
    int rc;

    memset(&info, 0, sizeof(info));
    rc = check_shape(nik, err);
    if (rc != SERTEL_OK)
        return rc;

    info.province = two(nik);
    if (nik_province_name(info.province) == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "NIK province code %.2s (digits 1-2) is not an Indonesian province",
                              nik);
    info.regency = two(nik + 2);
    if (info.regency == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "NIK regency/city code 00 (digits 3-4) is invalid: codes start at "
                              "01");
    info.district = two(nik + 4);
    if (info.district == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "NIK district code 00 (digits 5-6) is invalid: codes start at 01");
    rc = check_birth(nik + 6, now, &info, err);
    if (rc != SERTEL_OK)
        return rc;
    info.serial = two(nik + 12) * 100 + two(nik + 14);
    if (info.serial == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "NIK serial 0000 (digits 13-16) is invalid: serials start at 0001");
    if (out != NULL)
        *out = info;
    return SERTEL_OK;
}

int nik_check_at(const char *nik, time_t now, nik_info *out, sertel_err *err)
{
    int rc = check(nik, now, out, err);

    if (rc == SERTEL_ERR_INVALID && err != NULL) {
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof(err->msg) - n, "; check the number on the e-KTP");
    }
    return rc;
}

int nik_check(const char *nik, nik_info *out, sertel_err *err)
{
    return nik_check_at(nik, time(NULL), out, err);
}

void nik_mask(const char *nik, char out[NIK_LEN + 1])
{
    size_t i;

    out[0] = '\0';
    if (strlen(nik) != NIK_LEN)
        return;
    for (i = 0; i < NIK_LEN - 4; i++)
        out[i] = '*';
    memcpy(out + NIK_LEN - 4, nik + NIK_LEN - 4, 4);
    out[NIK_LEN] = '\0';
}
