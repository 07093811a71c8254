/*
 * totp.h - one-time codes for the second authentication factor: HOTP
 * (RFC 4226) and TOTP (RFC 6238), as authenticator apps implement them.
 *
 * Defaults are what every app supports: HMAC-SHA1, 6 digits, 30-second
 * steps from the Unix epoch, 20-byte (160-bit, RFC 4226 §4 R6) secrets.
 * The _ex variants take 6 to 8 digits and SHA-1, SHA-256 or SHA-512.
 *
 * Secrets are key material: callers keep them in wiped memory
 * (sodium_malloc / OPENSSL_cleanse) and store them encrypted. A 6-digit
 * code can be guessed one time in a million; callers must limit failed
 * attempts per account (RFC 4226 §7.3) and remember the last accepted
 * step so that a code is accepted once only (RFC 6238 §5.2).
 *
 * Thread safety: no state is kept; safe from any thread (libsodium must
 * have been initialised, which totp_generate_secret does).
 */
#ifndef SERTEL_RA_TOTP_H
#define SERTEL_RA_TOTP_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define TOTP_PERIOD 30     /* seconds per step */
#define TOTP_DIGITS 6      /* default code length */
#define TOTP_SECRET_LEN 20 /* default secret length in bytes */
#define TOTP_SECRET_MIN 16 /* RFC 4226 §4 R6: at least 128 bits */
#define TOTP_SECRET_MAX 64 /* the SHA-512 test seed of RFC 6238 */
#define TOTP_WINDOW_MAX 10 /* steps either side totp_verify accepts */
#define TOTP_CODE_BUF 9    /* 8 digits + NUL */
#define TOTP_URI_MAX 2048  /* enough for any URI totp_uri accepts */
#define TOTP_LABEL_MAX 200 /* bytes of issuer or account name */

/*
 * Fill secret with len random bytes (libsodium randombytes_buf). len must
 * be TOTP_SECRET_MIN..TOTP_SECRET_MAX. Returns SERTEL_OK,
 * SERTEL_ERR_INVALID for a bad length, SERTEL_ERR_CRYPTO when libsodium
 * cannot be initialised.
 */
int totp_generate_secret(unsigned char *secret, size_t len) SERTEL_WUR SERTEL_NONNULL(1);

/*
 * RFC 4648 §6 base32 of in[0..len) into out, '='-padded to a multiple of
 * 8 characters, NUL-terminated. cap must be at least
 * ((len + 4) / 5) * 8 + 1. Returns SERTEL_OK or SERTEL_ERR_INVALID (cap
 * too small; out is then "").
 */
int totp_base32_encode(const unsigned char *in, size_t len, char *out, size_t cap) SERTEL_WUR
    SERTEL_NONNULL(3);

/*
 * Decode base32 (either case, padding optional but, when present, exactly
 * right) into out. Anything else - spaces, other characters, an
 * impossible length, non-zero unused bits - is SERTEL_ERR_INVALID, as is
 * a result longer than cap. *outlen is the number of bytes.
 */
int totp_base32_decode(const char *in, unsigned char *out, size_t cap, size_t *outlen) SERTEL_WUR
    SERTEL_NONNULL(1, 4);

/*
 * The provisioning URI authenticator apps read from a QR code (the "Key
 * Uri Format" of Google Authenticator):
 *   otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER
 *       &algorithm=SHA1&digits=6&period=30
 * Issuer and account are UTF-8, 1..TOTP_LABEL_MAX bytes, without ':' or
 * control characters, and are percent-encoded (RFC 3986: all but
 * unreserved characters). The secret is unpadded base32. Returns
 * SERTEL_OK, or SERTEL_ERR_INVALID with err naming the bad argument.
 * The URI contains the secret: treat it (and its QR code) as one.
 */
int totp_uri(const char *issuer, const char *account, const unsigned char *secret, size_t len,
             char *out, size_t cap, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 5);

/* As totp_uri with digits (6..8) and md (EVP_sha1/sha256/sha512; NULL: SHA-1). */
int totp_uri_ex(const char *issuer, const char *account, const unsigned char *secret, size_t len,
                int digits, const EVP_MD *md, char *out, size_t cap, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3, 7);

/*
 * HOTP (RFC 4226 §5.3): the code for counter, digits (6..8) long,
 * zero-padded and NUL-terminated in out. md is EVP_sha1(), EVP_sha256()
 * or EVP_sha512() (NULL: SHA-1). Returns SERTEL_OK, SERTEL_ERR_INVALID
 * (digits, empty or over-long secret), SERTEL_ERR_UNSUPPORTED (other
 * digest) or SERTEL_ERR_CRYPTO. The code is a short-lived secret.
 */
int totp_hotp(const unsigned char *secret, size_t len, uint64_t counter, int digits,
              const EVP_MD *md, char out[TOTP_CODE_BUF]) SERTEL_WUR SERTEL_NONNULL(1, 6);

/* TOTP (RFC 6238 §4): totp_hotp with counter = unix_time / TOTP_PERIOD. */
int totp_code(const unsigned char *secret, size_t len, uint64_t unix_time, int digits,
              const EVP_MD *md, char out[TOTP_CODE_BUF]) SERTEL_WUR SERTEL_NONNULL(1, 6);

/*
 * Check a 6-digit HMAC-SHA1 code typed by the user at time now (Unix
 * seconds). Codes of the steps now/30 - window .. now/30 + window are
 * accepted (window 0..TOTP_WINDOW_MAX; 1 allows for clock drift and
 * typing time). Comparison is constant-time.
 *
 * last_used_step is the step of the last code accepted for this secret
 * (0 when none): a code of that step or an earlier one is refused, so a
 * code observed over the user's shoulder or in transit cannot be replayed.
 * On success *matched_step (when not NULL) is the accepted step; the
 * caller stores it as the new last_used_step before acting on the code.
 *
 * Returns SERTEL_OK; SERTEL_ERR_INVALID when code is not exactly the
 * expected number of ASCII digits or an argument is out of range;
 * SERTEL_ERR_STATE when the code is right but its step was already used
 * (replay); SERTEL_ERR_DENIED when it is wrong.
 */
int totp_verify(const unsigned char *secret, size_t len, const char *code, uint64_t now, int window,
                uint64_t last_used_step, uint64_t *matched_step) SERTEL_WUR SERTEL_NONNULL(1, 3);

/* As totp_verify with digits (6..8) and md (as totp_hotp). */
int totp_verify_ex(const unsigned char *secret, size_t len, const char *code, uint64_t now,
                   int window, uint64_t last_used_step, int digits, const EVP_MD *md,
                   uint64_t *matched_step) SERTEL_WUR SERTEL_NONNULL(1, 3);

#endif
