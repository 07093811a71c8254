/*
 * ra_int.h - internals shared by the files of the registration authority.
 */
#ifndef SERTEL_RA_INT_H
#define SERTEL_RA_INT_H

#include "ra/mail.h"
#include "ra/ra.h"
#include "store/store.h"

#define RA_SECRET_LEN 32
#define RA_TOKEN_BYTES 32

struct ra {
    ca_ctx *ca;
    store *st;  /* borrowed from ca */
    audit *aud; /* borrowed from ca */
    const conf *conf;
    mailer *mail;
    char home[4096];
    char uploads[4096];
    unsigned char *secret; /* server-held secret (sodium_malloc), RA_SECRET_LEN */
    /* settings */
    int64_t upload_max;
    int64_t token_ttl;
    int64_t renewal_window;
    int64_t argon_ops;
    int64_t argon_mem; /* bytes */
    int64_t lock_soft;
    int64_t lock_hard;
    int64_t lock_seconds;
    char second_factor[8]; /* off | totp | email */
    char subscriber_key_type[16];
    char base_url[256];
};

/* Next free id of a table (inside a write transaction). */
int ra_next_id(ra *r, const char *table, int64_t *out, sertel_err *err);

/*
 * Create a single-use token (hex, 64 chars) for purpose, valid ttl
 * seconds; only its hash is stored. Inside a transaction.
 */
int ra_token_create(ra *r, const char *purpose, int64_t account_id, int64_t app_id, int64_t ttl,
                    char token_out[2 * RA_TOKEN_BYTES + 1], sertel_err *err);

/*
 * Consume a token of purpose: refuses unknown, used and expired tokens
 * with a message that says which. Inside a transaction.
 */
int ra_token_consume(ra *r, const char *purpose, const char *token, int64_t *account_id,
                     int64_t *app_id, sertel_err *err);

/* Mail to an account (inside the transaction: a failure undoes the step). */
int ra_mail(ra *r, const char *to, const char *subject, const char *body, sertel_err *err);

/* Run a step: begin, fn, commit (rollback on failure). */
int ra_audit(ra *r, const char *actor, const char *event, const char *object, const char *details,
             sertel_err *err);

/* Destroy the key belonging to a certificate, audited (inside a transaction). */
int ra_key_destroy_for_cert(ra *r, const char *serial, const char *why, const char *actor,
                            sertel_err *err);

/* The subscriber's current certificate (newest by creation), "" when none. */
int ra_current_cert(ra *r, int64_t account_id, char serial[41], sertel_err *err);

/* Escape s as a JSON string body into out (for audit details). */
void ra_json_escape(const char *s, char *out, size_t cap);

#endif
