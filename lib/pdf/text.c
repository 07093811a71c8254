/*
 * text.c - PDFDocEncoding (ISO 32000-1 Annex D.2, Table D.2) in both
 * directions, a strict UTF-8 decoder and a UTF-16BE one: for text strings read from a PDF
 * and for the passwords of revision 2-4 encryption, which are PDFDocEncoded
 * bytes (ISO 32000-1 §7.6.3.3, Algorithm 2 step a).
 *
 * PDFDocEncoding is Latin-1 from 0xA1 to 0xFF (0xAD undefined) and ASCII
 * below 0x80 except 0x18-0x1F; 0x18-0x1F, 0x80-0x9E and 0xA0 hold the
 * characters of the table below.
 */
#include "pdf/pdf_int.h"

/* The code points of 0x18-0x1F, then of 0x80-0x9F (0x9F undefined), then of 0xA0. */
static const unsigned short low[8] = {0x02D8, 0x02C7, 0x02C6, 0x02D9,
                                      0x02DD, 0x02DB, 0x02DA, 0x02DC};
static const unsigned short high[33] = {
    0x2022, 0x2020, 0x2021, 0x2026, 0x2014, 0x2013, 0x0192, 0x2044, 0x2039, 0x203A, 0x2212,
    0x2030, 0x201E, 0x201C, 0x201D, 0x2018, 0x2019, 0x201A, 0x2122, 0xFB01, 0xFB02, 0x0141,
    0x0152, 0x0160, 0x0178, 0x017D, 0x0131, 0x0142, 0x0153, 0x0161, 0x017E, 0x0000, 0x20AC};

unsigned long pdf_docenc_to_ucs(unsigned char b)
{
    if (b >= 0x18 && b <= 0x1F)
        return low[b - 0x18];
    if (b >= 0x80 && b <= 0xA0)
        return high[b - 0x80];
    if (b == 0xAD || b == 0x7F)
        return 0;
    return b;
}

int pdf_docenc_from_ucs(unsigned long cp)
{
    unsigned i;

    if (cp == 0 || cp == 0x7F || cp == 0xAD)
        return -1;
    if ((cp < 0x18 || (cp >= 0x20 && cp < 0x7F)) || (cp >= 0xA1 && cp <= 0xFF))
        return (int)cp;
    for (i = 0; i < 8; i++)
        if (low[i] == cp)
            return (int)(0x18 + i);
    for (i = 0; i < 33; i++)
        if (high[i] == cp)
            return (int)(0x80 + i);
    return -1;
}

int pdf_utf8_next(const unsigned char *s, size_t len, size_t *i, unsigned long *cp)
{
    size_t k = *i, n, j;
    unsigned long c;

    if (k >= len)
        return -1;
    c = s[k];
    if (c < 0x80) {
        *cp = c;
        *i = k + 1;
        return 0;
    }
    if (c >= 0xC2 && c <= 0xDF)
        n = 1, c &= 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 2, c &= 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 3, c &= 0x07;
    else
        return -1;
    if (len - k - 1 < n)
        return -1;
    for (j = 1; j <= n; j++) {
        if ((s[k + j] & 0xC0) != 0x80)
            return -1;
        c = c << 6 | (s[k + j] & 0x3F);
    }
    /* No overlong forms, no surrogates, nothing above U+10FFFF. */
    if ((n == 2 && c < 0x800) || (n == 3 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF))
        return -1;
    *cp = c;
    *i = k + 1 + n;
    return 0;
}

unsigned long pdf_utf16be_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned long u;
    size_t k = *i;

    if (k + 1 >= len)
        return 0;
    u = (unsigned long)s[k] << 8 | s[k + 1];
    k += 2;
    if (u >= 0xD800 && u <= 0xDBFF && k + 1 < len && (s[k] & 0xFC) == 0xDC) {
        u = 0x10000 + ((u - 0xD800) << 10) + (((unsigned long)s[k] << 8 | s[k + 1]) - 0xDC00);
        k += 2;
    }
    *i = k;
    return u;
}
