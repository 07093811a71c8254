/*
 * totp.c - HOTP (RFC 4226) and TOTP (RFC 6238), base32 (RFC 4648 §6) and
 * the otpauth:// provisioning URI (see totp.h).
 *
 * The HMAC is OpenSSL's one-shot HMAC(); the dynamic truncation of RFC
 * 4226 §5.3 works for every digest length because the offset is taken
 * from the last byte and is at most 15. Codes are compared with
 * CRYPTO_memcmp, and every intermediate value derived from the secret is
 * wiped with OPENSSL_cleanse.
 */
#include "ra/totp.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define HOTP_KEY_MAX 1024 /* longer HMAC keys would be hashed; no real secret is that long */

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int totp_generate_secret(unsigned char *secret, size_t len)
{
    if (len < TOTP_SECRET_MIN || len > TOTP_SECRET_MAX)
        return SERTEL_ERR_INVALID;
    if (sodium_init() < 0)
        return SERTEL_ERR_CRYPTO;
    randombytes_buf(secret, len);
    return SERTEL_OK;
}

int totp_base32_encode(const unsigned char *in, size_t len, char *out, size_t cap)
{
    size_t need, i, o = 0;
    uint32_t acc = 0;
    int bits = 0;

    need = len > SIZE_MAX / 2 ? SIZE_MAX : (len + 4) / 5 * 8 + 1;
    if (cap < need) {
        if (cap > 0)
            out[0] = '\0';
        return SERTEL_ERR_INVALID;
    }
    for (i = 0; i < len; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32_alphabet[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
        acc &= (1u << bits) - 1; /* keep only the unused bits */
    }
    if (bits > 0)
        out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
    while (o % 8 != 0)
        out[o++] = '=';
    out[o] = '\0';
    return SERTEL_OK;
}

static int b32_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

int totp_base32_decode(const char *in, unsigned char *out, size_t cap, size_t *outlen)
{
    size_t n = strlen(in), data = n, i, o = 0, rem;
    uint32_t acc = 0;
    int bits = 0;

    *outlen = 0;
    /* Padding: optional, but when present it completes the last group of 8. */
    while (data > 0 && in[data - 1] == '=')
        data--;
    if (data != n && n % 8 != 0)
        return SERTEL_ERR_INVALID;
    rem = data % 8;
    /* 1, 3 or 6 characters cannot end a group: no byte count encodes so. */
    if (rem == 1 || rem == 3 || rem == 6)
        return SERTEL_ERR_INVALID;
    if (data != n && n - data >= 8)
        return SERTEL_ERR_INVALID;
    if (data / 8 * 5 + (rem * 5) / 8 > cap)
        return SERTEL_ERR_INVALID;
    for (i = 0; i < data; i++) {
        int v = b32_value(in[i]);
        if (v < 0)
            return SERTEL_ERR_INVALID;
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            out[o++] = (unsigned char)(acc >> (bits - 8));
            bits -= 8;
            acc &= (1u << bits) - 1;
        }
    }
    /* The unused low bits of the last character must be zero (RFC 4648 §3.5). */
    if (acc != 0)
        return SERTEL_ERR_INVALID;
    *outlen = o;
    return SERTEL_OK;
}

/* The digest's name in the URI and whether we support it. NULL: not. */
static const char *md_name(const EVP_MD *md)
{
    switch (EVP_MD_get_type(md)) {
    case NID_sha1:
        return "SHA1";
    case NID_sha256:
        return "SHA256";
    case NID_sha512:
        return "SHA512";
    default:
        return NULL;
    }
}

int totp_hotp(const unsigned char *secret, size_t len, uint64_t counter, int digits,
              const EVP_MD *md, char out[TOTP_CODE_BUF])
{
    static const uint32_t mod[] = {1000000, 10000000, 100000000};
    unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0, off;
    uint32_t bin;
    int i;

    out[0] = '\0';
    if (digits < 6 || digits > 8 || len == 0 || len > HOTP_KEY_MAX)
        return SERTEL_ERR_INVALID;
    if (md == NULL)
        md = EVP_sha1();
    if (md_name(md) == NULL)
        return SERTEL_ERR_UNSUPPORTED;
    for (i = 7; i >= 0; i--) {
        msg[i] = (unsigned char)(counter & 0xff);
        counter >>= 8;
    }
    if (HMAC(md, secret, (int)len, msg, sizeof(msg), mac, &maclen) == NULL || maclen < 20)
        return SERTEL_ERR_CRYPTO;
    off = mac[maclen - 1] & 0x0f;
    bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
          ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
    bin %= mod[digits - 6];
    for (i = digits - 1; i >= 0; i--) {
        out[i] = (char)('0' + bin % 10);
        bin /= 10;
    }
    out[digits] = '\0';
    OPENSSL_cleanse(mac, sizeof(mac));
    OPENSSL_cleanse(&bin, sizeof(bin));
    return SERTEL_OK;
}

int totp_code(const unsigned char *secret, size_t len, uint64_t unix_time, int digits,
              const EVP_MD *md, char out[TOTP_CODE_BUF])
{
    return totp_hotp(secret, len, unix_time / TOTP_PERIOD, digits, md, out);
}

int totp_verify_ex(const unsigned char *secret, size_t len, const char *code, uint64_t now,
                   int window, uint64_t last_used_step, int digits, const EVP_MD *md,
                   uint64_t *matched_step)
{
    char cand[TOTP_CODE_BUF];
    uint64_t step = now / TOTP_PERIOD, lo, hi, s, best = 0;
    int i, found = 0, replay = 0, rc = SERTEL_OK;

    if (digits < 6 || digits > 8 || window < 0 || window > TOTP_WINDOW_MAX)
        return SERTEL_ERR_INVALID;
    for (i = 0; i < digits; i++)
        if (code[i] < '0' || code[i] > '9')
            return SERTEL_ERR_INVALID;
    if (code[digits] != '\0')
        return SERTEL_ERR_INVALID;

    lo = step >= (uint64_t)window ? step - (uint64_t)window : 0;
    hi = step + (uint64_t)window;
    /* Every step of the window is computed and compared, whatever matches. */
    for (s = lo; s <= hi; s++) {
        int same;
        rc = totp_hotp(secret, len, s, digits, md, cand);
        if (rc != SERTEL_OK)
            goto out;
        same = CRYPTO_memcmp(cand, code, (size_t)digits) == 0;
        if (same && s > last_used_step) {
            found = 1;
            best = s;
        } else if (same) {
            replay = 1;
        }
    }
    if (found) {
        if (matched_step != NULL)
            *matched_step = best;
        rc = SERTEL_OK;
    } else {
        rc = replay ? SERTEL_ERR_STATE : SERTEL_ERR_DENIED;
    }
out:
    OPENSSL_cleanse(cand, sizeof(cand));
    return rc;
}

int totp_verify(const unsigned char *secret, size_t len, const char *code, uint64_t now, int window,
                uint64_t last_used_step, uint64_t *matched_step)
{
    return totp_verify_ex(secret, len, code, now, window, last_used_step, TOTP_DIGITS, NULL,
                          matched_step);
}

/* Percent-encode s (RFC 3986 §2.1: all but unreserved) at out[*o]. */
static int pct_append(const char *s, char *out, size_t cap, size_t *o)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p;

    for (p = (const unsigned char *)s; *p != '\0'; p++) {
        int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        if (*o + (plain ? 1 : 3) >= cap)
            return -1;
        if (plain) {
            out[(*o)++] = (char)*p;
        } else {
            out[(*o)++] = '%';
            out[(*o)++] = hex[*p >> 4];
            out[(*o)++] = hex[*p & 15];
        }
    }
    out[*o] = '\0';
    return 0;
}

static int raw_append(const char *s, char *out, size_t cap, size_t *o)
{
    size_t n = strlen(s);

    if (*o + n >= cap)
        return -1;
    memcpy(out + *o, s, n + 1);
    *o += n;
    return 0;
}

static int check_label(const char *what, const char *s, sertel_err *err)
{
    size_t n = strnlen(s, TOTP_LABEL_MAX + 1), i;

    if (n == 0 || n > TOTP_LABEL_MAX)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the TOTP %s must be 1 to %d bytes (got %s%zu)", what, TOTP_LABEL_MAX,
                              n > TOTP_LABEL_MAX ? "more than " : "",
                              n > TOTP_LABEL_MAX ? (size_t)TOTP_LABEL_MAX : n);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ':')
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "the TOTP %s must not contain ':' (it separates issuer and "
                                  "account in the label)",
                                  what);
        if (c < 0x20 || c == 0x7f)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "the TOTP %s contains control character 0x%02X at byte %zu", what,
                                  c, i + 1);
    }
    return SERTEL_OK;
}

int totp_uri_ex(const char *issuer, const char *account, const unsigned char *secret, size_t len,
                int digits, const EVP_MD *md, char *out, size_t cap, sertel_err *err)
{
    char b32[(TOTP_SECRET_MAX + 4) / 5 * 8 + 1], num[32];
    const char *alg;
    size_t o = 0, n;
    int rc;

    if (cap > 0)
        out[0] = '\0';
    if (md == NULL)
        md = EVP_sha1();
    alg = md_name(md);
    if (alg == NULL)
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "TOTP digest %s is not supported: use SHA1, SHA256 or SHA512",
                              EVP_MD_get0_name(md));
    if (digits < 6 || digits > 8)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "TOTP codes have 6 to 8 digits (got %d)",
                              digits);
    if (len < TOTP_SECRET_MIN || len > TOTP_SECRET_MAX)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "a TOTP secret must be %d to %d bytes (got %zu)", TOTP_SECRET_MIN,
                              TOTP_SECRET_MAX, len);
    rc = check_label("issuer", issuer, err);
    if (rc == SERTEL_OK)
        rc = check_label("account name", account, err);
    if (rc != SERTEL_OK)
        return rc;
    if (totp_base32_encode(secret, len, b32, sizeof(b32)) != SERTEL_OK)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "base32 buffer too small");
    n = strcspn(b32, "="); /* the key URI format leaves the padding out */
    b32[n] = '\0';
    snprintf(num, sizeof(num), "&digits=%d&period=%d", digits, TOTP_PERIOD);

    if (raw_append("otpauth://totp/", out, cap, &o) != 0 || pct_append(issuer, out, cap, &o) ||
        raw_append(":", out, cap, &o) || pct_append(account, out, cap, &o) ||
        raw_append("?secret=", out, cap, &o) || raw_append(b32, out, cap, &o) ||
        raw_append("&issuer=", out, cap, &o) || pct_append(issuer, out, cap, &o) ||
        raw_append("&algorithm=", out, cap, &o) || raw_append(alg, out, cap, &o) ||
        raw_append(num, out, cap, &o)) {
        if (cap > 0) {
            OPENSSL_cleanse(out, cap);
            out[0] = '\0';
        }
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "the TOTP URI does not fit in %zu bytes (TOTP_URI_MAX is enough)", cap);
    }
    OPENSSL_cleanse(b32, sizeof(b32));
    return rc;
}

int totp_uri(const char *issuer, const char *account, const unsigned char *secret, size_t len,
             char *out, size_t cap, sertel_err *err)
{
    return totp_uri_ex(issuer, account, secret, len, TOTP_DIGITS, NULL, out, cap, err);
}
