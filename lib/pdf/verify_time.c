/*
 * verify_time.c - the time a validation is made at (verify --at): parsing
 * it (RFC 3339 §5.6 date-time, or a full-date), stamping the report with
 * it, and the algorithm constraints judged at the time of proof of
 * existence (ETSI EN 319 102-1 §5.2.8 and §5.6.2.5: an algorithm no longer
 * reliable passes when the signature is proven to exist before the date
 * it stopped being so); the times of the text report in the agency's zone
 * (WIB, WITA, WIT: Indonesia's zones, UTC+7/+8/+9); the time of a
 * time-stamp token read without verifying it (RFC 3161 §2.4.2 genTime),
 * to say a token is present when its chain cannot be checked.
 */
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pdf/verify_int.h"

/* n digits at s into *v; 0 on success. */
static int digits(const char *s, int n, int *v)
{
    int i, x = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

int vfy_parse_time(const char *s, time_t *out, sertel_err *err)
{
    struct tm tm;
    int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 0;
    size_t n = strnlen(s, 64), k;
    time_t t;

    if (n >= 64 || n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
        s[7] != '-' || digits(s + 8, 2, &d))
        goto bad;
    k = 10;
    if (n > 10) {
        if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || n < 20 || digits(s + 11, 2, &h) ||
            s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
            goto bad;
        k = 19;
        if (s[k] == '.') { /* time-secfrac: ignored */
            k++;
            if (s[k] < '0' || s[k] > '9')
                goto bad;
            while (s[k] >= '0' && s[k] <= '9')
                k++;
        }
        if (s[k] == 'Z' || s[k] == 'z') {
            k++;
        } else if (s[k] == '+' || s[k] == '-') {
            sign = s[k] == '+' ? 1 : -1;
            if (digits(s + k + 1, 2, &oh) || s[k + 3] != ':' || digits(s + k + 4, 2, &om) ||
                oh > 23 || om > 59)
                goto bad;
            k += 6;
        } else {
            goto bad; /* RFC 3339 needs the offset */
        }
        if (k != n)
            goto bad;
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        se > 60)
        goto bad;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se > 59 ? 59 : se;
    t = timegm(&tm);
    if (t == (time_t)-1)
        goto bad;
    *out = t - sign * (time_t)(oh * 3600 + om * 60);
    return SERTEL_OK;
bad:
    return sertel_err_set(err, SERTEL_ERR_INVALID,
                          "'%.40s' is not a time: give RFC 3339 (2020-11-01T12:00:00Z, "
                          "2020-11-01T19:00:00+07:00) or a date (2020-11-01, its start in UTC)",
                          s);
}

void vfy_report_set_time(vfy_report *r, const vfy_opts *o)
{
    time_t now = o->now ? o->now : time(NULL);

    r->validation_time_given = o->at != 0;
    vfy_iso_time(o->at ? o->at : now, r->validation_time);
}

time_t vfy_algo_sunset(const EVP_MD *md)
{
    /* sertel's policy (docs/verify-json.md): SHA-1 is accepted for a signature proven to
     * exist before 2012-08-01; nothing weaker is ever accepted. */
    if (md != NULL && EVP_MD_is_a(md, "SHA1"))
        return (time_t)1343779200; /* 2012-08-01T00:00:00Z */
    return 0;
}

void vfy_check_algo_poe(vfy_sig *s, const EVP_MD *md, int sha1_doc, int weak, time_t poe, int tst)
{
    time_t sunset = vfy_algo_sunset(sha1_doc ? EVP_sha1() : md);
    char when[40], until[40];

    if (!sha1_doc && !weak)
        return;
    if (sunset != 0 && poe < sunset && (!weak || vfy_algo_sunset(md) > poe)) {
        vfy_iso_time(poe, when);
        vfy_iso_time(sunset, until);
        vfy_note(s,
                 "%s is accepted: the signature is %s %s, before %s, from when it no longer "
                 "binds a signature",
                 sha1_doc ? "SHA-1 (SubFilter adbe.pkcs7.sha1)" : EVP_MD_get0_name(md),
                 tst ? "proven by its time-stamp to exist at" : "validated as of", when, until);
        return;
    }
    if (sha1_doc)
        vfy_set(s, VFY_INDETERMINATE, "CRYPTO_CONSTRAINTS_FAILURE_NO_POE",
                "the signature binds the document with SHA-1 (SubFilter adbe.pkcs7.sha1), no "
                "longer accepted for electronic signatures");
    if (weak)
        vfy_set(s, VFY_INDETERMINATE, "CRYPTO_CONSTRAINTS_FAILURE_NO_POE",
                "the digest algorithm %s is too weak (SHA-256 or stronger needed)",
                EVP_MD_get0_name(md));
}

/* --- the agency's time zone for the text report --- */

int vfy_tz_offset(const char *tz, int *offset, sertel_err *err)
{
    static const struct {
        const char *name;
        int hours;
    } zones[] = {{"WIB", 7}, {"WITA", 8}, {"WIT", 9}, {"UTC", 0}};
    size_t i;

    for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
        if (strcasecmp(tz, zones[i].name) == 0) {
            *offset = zones[i].hours * 3600;
            return SERTEL_OK;
        }
    return sertel_err_set(err, SERTEL_ERR_INVALID,
                          "unknown time zone '%.40s': use WIB (UTC+7), WITA (UTC+8), WIT (UTC+9) "
                          "or UTC",
                          tz);
}

void vfy_time_in_zone(const char *iso, const char *tz, char *out, size_t cap)
{
    sertel_err err = {0};
    time_t t;
    int off = 0;
    struct tm tm;
    char zone[8];
    size_t i;

    if (cap == 0)
        return;
    if (tz == NULL || iso[0] == '\0' || vfy_parse_time(iso, &t, &err) != SERTEL_OK ||
        vfy_tz_offset(tz, &off, &err) != SERTEL_OK || off == 0) {
        snprintf(out, cap, "%s", iso); /* UTC as it is (ISO 8601, Z) */
        return;
    }
    t += off;
    for (i = 0; tz[i] != '\0' && i + 1 < sizeof(zone); i++)
        zone[i] = (char)(tz[i] >= 'a' && tz[i] <= 'z' ? tz[i] - 'a' + 'A' : tz[i]);
    zone[i] = '\0';
    if (gmtime_r(&t, &tm) == NULL ||
        snprintf(out, cap, "%04d-%02d-%02d %02d:%02d:%02d %s", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, zone) < 0)
        snprintf(out, cap, "%s", iso);
}

/* --- a time-stamp token present in the file, whatever its chain --- */

int vfy_tst_peek_time(const unsigned char *der, size_t len, char out[40])
{
    const unsigned char *p = der;
    PKCS7 *p7 = len > 0 && len <= VFY_MAX_CMS ? d2i_PKCS7(NULL, &p, (long)len) : NULL;
    TS_TST_INFO *ti = p7 != NULL ? PKCS7_to_TS_TST_INFO(p7) : NULL;
    const ASN1_GENERALIZEDTIME *g = ti != NULL ? TS_TST_INFO_get_time(ti) : NULL;
    struct tm tm;
    int ok = 0;

    out[0] = '\0';
    if (g != NULL && ASN1_TIME_to_tm(g, &tm)) {
        vfy_iso_time(timegm(&tm), out);
        ok = out[0] != '\0';
    }
    TS_TST_INFO_free(ti);
    PKCS7_free(p7);
    ERR_clear_error();
    return ok;
}
