/*
 * hex.c - hexadecimal encoding and decoding (see hex.h).
 */
#include "util/hex.h"

#include <string.h>

void hex_encode(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hex_decode(const char *in, unsigned char *out, size_t outcap, size_t *outlen)
{
    size_t n = strlen(in), i;

    *outlen = 0;
    if (n % 2 != 0 || n / 2 > outcap)
        return SERTEL_ERR_INVALID;
    for (i = 0; i < n / 2; i++) {
        int hi = hex_value(in[2 * i]), lo = hex_value(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return SERTEL_ERR_INVALID;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    *outlen = n / 2;
    return SERTEL_OK;
}

int hex_is_lower(const char *s, size_t n)
{
    return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}
