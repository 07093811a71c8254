/*
 * text.c - checks for human-entered text (see text.h). UTF-8 per RFC 3629
 * §3-4: no overlong encodings, no surrogates (U+D800..DFFF), nothing above
 * U+10FFFF.
 */
#include "util/text.h"

#include <string.h>

int text_utf8_valid(const unsigned char *s, size_t len, size_t *chars)
{
    size_t i = 0, n = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t k;
        unsigned long cp;

        if (c < 0x80) {
            i++;
            n++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (len - i <= k) /* the sequence runs past the end */
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
        n++;
    }
    if (chars != NULL)
        *chars = n;
    return 1;
}

int text_check_field(const char *what, const char *v, size_t max, sertel_err *err)
{
    const unsigned char *p;
    size_t chars = 0;

    if (v == NULL || *v == '\0')
        return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is required and must not be empty",
                              what);
    if (!text_utf8_valid((const unsigned char *)v, strlen(v), &chars))
        return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is not valid UTF-8 text", what);
    if (chars > max)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s is longer than %zu characters (%zu given)", what, max, chars);
    for (p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return sertel_err_set(err, SERTEL_ERR_INVALID, "%s contains a control character", what);
    return SERTEL_OK;
}
