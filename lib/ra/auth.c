/*
 * auth.c - authenticating an owner before the owner's key is used: the
 * passphrase, the second factor and the lockout (PP 71/2019 art. 63-64:
 * two factors where the provider holds the key; RFC 4226 §7.3: limit
 * failed attempts per account; RFC 6238 §5.2: a code is accepted once).
 *
 * Every attempt is accounted in two transactions around the slow key
 * derivation:
 *
 *   reserve  BEGIN IMMEDIATE; a lock in force -> refused, not counted;
 *            else failed_attempts + 1 (the attempt counts as failed until
 *            it is settled), a lock starts when the count reaches
 *            lockout_after (and every multiple of it) or lockout_hard_after;
 *            COMMIT. Parallel attempts serialise here, so 20 guesses sent at
 *            once count as 20 and the sixth already finds the lock.
 *   derive   Argon2id and the decryption, outside any transaction.
 *   settle   BEGIN IMMEDIATE; the status must be ISSUE, the second factor
 *            right (its code consumed here: a code works once, whatever runs
 *            in parallel); on success the counter returns to 0 (and a lock
 *            this very attempt started is lifted); the outcome is audited;
 *            the purpose's own change (enrolment) is made; COMMIT.
 *
 * Fail closed: when the reservation cannot be committed nothing is derived
 * and the answer is SERTEL_ERR_BUSY; when the settlement cannot, the
 * attempt stays counted, nothing is authorized, and the answer is the same
 * SERTEL_ERR_BUSY for a right and a wrong passphrase.
 *
 * One answer for every refusal (DENIED_MSG), the same work for each: an
 * unknown account or a locked one derives a key from the passphrase too.
 *
 * The second factor of a signing ([signing] second_factor) is the owner's
 * code, or - for an API client registered as vouching for its own user's
 * login (`sertel client add --vouches-login`; BSrE's v1 carries only the
 * passphrase) - that login: ra_sign_factor_needed reads the client's row
 * for each attempt, and the attempt's audit entry names the client and
 * "second_factor": "vouched_by_client". Nothing else stands in for it.
 */
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/nik.h"
#include "ra/ra_int.h"
#include "ra/totp.h"
#include "util/hex.h"
#include "util/check.h"

#define DENIED_MSG                                                                                 \
    "not authorized: the passphrase or the one-time code is wrong, or the account cannot sign "    \
    "now (passphrase salah); after repeated failures signing is locked - check your mail"
#define BUSY_MSG "the attempt could not be recorded, so nothing was done: try again later"
#define EMAIL_OTP_TTL 300

typedef enum purpose {
    PURPOSE_SIGN,   /* unlock the key to sign */
    PURPOSE_ENROLL, /* enrol (or replace) the TOTP authenticator */
} purpose;

typedef enum factor { FACTOR_NONE, FACTOR_TOTP, FACTOR_EMAIL } factor;

/* One attempt, from reservation to settlement. */
typedef struct attempt {
    int known;  /* the account exists as a registered person */
    int locked; /* refused: a lock was in force (not counted) */
    int counted;
    int set_soft, set_hard; /* this attempt's reservation started a lock */
    int64_t failed;         /* the count after the reservation */
    int64_t locked_until;   /* a lock in force: its end (0 with hard_locked) */
    int hard_locked;        /* a lock in force lasts until a verifier lifts it */
    ra_person p;
    char serial[41]; /* the person's certificate */
    ra_key_row key;
} attempt;

static void attempt_clear(attempt *a)
{
    ra_key_row_clear(&a->key);
    sodium_memzero(a, sizeof(*a));
}

static int busy(sertel_err *err, const sertel_err *cause)
{
    (void)cause; /* the cause stays out of the answer; the caller's log has the store's own */
    return sertel_err_set(err, SERTEL_ERR_BUSY, BUSY_MSG);
}

void ra_signing_lock_mail(ra *r, const ra_person *p, int64_t failed, int hard)
{
    char body[1024];
    sertel_err e = {0};

    snprintf(body, sizeof(body),
             "Yth. %s,\r\n\r\nPenandatanganan dikunci %s setelah %lld kali percobaan passphrase "
             "atau kode yang salah. Jika bukan Anda yang mencoba, segera hubungi verifikator dan "
             "ajukan pencabutan sertifikat.\r\n\r\nSigning with your certificate is locked %s "
             "after %lld failed attempts. If it was not you, contact your verifier at once and "
             "apply for revocation.\r\n",
             p->name, hard ? "sampai dibuka oleh verifikator" : "selama 30 menit",
             (long long)failed, hard ? "until your verifier unlocks it" : "for a while",
             (long long)failed);
    (void)!ra_mail(r, p->email, "Penandatanganan dikunci - signing locked", body, &e);
}

int ra_signing_lock_state(ra *r, int64_t account, int64_t now, int64_t *failed,
                          int64_t *locked_until, int *locked, sertel_err *err)
{
    store_stmt *s = NULL;
    int64_t hard = 0;
    int rc;

    *failed = *locked_until = 0;
    *locked = 0;
    rc = store_queryf(r->st, &s, err,
                      "SELECT failed_attempts, locked_until, hard_locked FROM subscribers WHERE "
                      "account_id = ?",
                      "i", account);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        *failed = store_col_int64(s, 0);
        *locked_until = store_col_int64(s, 1);
        hard = store_col_int64(s, 2);
        rc = SERTEL_OK;
    } else if (rc == STORE_DONE) {
        rc = sertel_err_set(err, SERTEL_ERR_STORE, "the person's signing record is missing");
    }
    store_finalize(s);
    *locked = rc != SERTEL_OK ? 0 : hard ? 2 : *locked_until > now ? 1 : 0;
    return rc;
}

int ra_signing_count_failure(ra *r, const ra_person *p, int64_t now, int64_t failed_before,
                             int64_t locked_until, int64_t *failed, int *set_soft, int *set_hard,
                             sertel_err *err)
{
    int rc;

    *failed = failed_before + 1;
    *set_hard = *failed >= r->lock_hard;
    *set_soft = !*set_hard && *failed % r->lock_soft == 0;
    rc =
        store_execf(r->st, err,
                    "UPDATE subscribers SET failed_attempts = ?, locked_until = ?, hard_locked = ? "
                    "WHERE account_id = ?",
                    "iiii", *failed, *set_soft ? now + r->lock_seconds : locked_until,
                    (int64_t)*set_hard, p->account_id);
    if (rc == SERTEL_OK && (*set_soft || *set_hard))
        rc = ra_audit_json(r, p->email, AUDIT_SIGN_LOCKED, p->email,
                           json_pack("{s:I, s:s}", "failed_in_a_row", (json_int_t)*failed, "until",
                                     *set_hard ? "unlocked by a verifier" : "timeout"),
                           err);
    return rc;
}

/*
 * Reserve the attempt (see the file comment). On SERTEL_OK the attempt is
 * either counted (a->counted), refused for a lock (a->locked), or for an
 * unknown account (!a->known); the caller derives a key in every case.
 */
static int reserve(ra *r, const ra_actor *by, ra_action act, const char *email, attempt *a,
                   sertel_err *err)
{
    int64_t now = (int64_t)time(NULL), locked_until = 0, failed = 0;
    ra_target t;
    sertel_err e = {0};
    int rc, locked = 0;

    memset(a, 0, sizeof(*a));
    rc = ra_person_by_email(r, email, &a->p, &e);
    if (rc == SERTEL_ERR_NOTFOUND) {
        /* The unknown-account path: same work, same answer; the name tried is audited. */
        memset(&a->p, 0, sizeof(a->p));
        snprintf(a->p.email, sizeof(a->p.email), "%s", email);
        return SERTEL_OK;
    }
    if (rc != SERTEL_OK)
        return busy(err, &e);
    a->known = 1;
    t.account_id = a->p.account_id;
    t.agency_id = a->p.agency_id;
    if ((rc = ra_policy_check(by, act, &t, err)) != SERTEL_OK) {
        sertel_err none = {0};
        /* Someone by may not even see (another agency's person, for an API client) is not
         * disclosed: the unknown-account path, same work and answer. */
        if (ra_policy_check(by, RA_ACT_STATUS_VIEW, &t, &none) == SERTEL_OK)
            return rc;
        sertel_err_clear(err);
        a->known = 0;
        memset(&a->p, 0, sizeof(a->p));
        snprintf(a->p.email, sizeof(a->p.email), "%s", email);
        return SERTEL_OK;
    }
    if (store_begin(r->st, &e) != SERTEL_OK)
        return busy(err, &e);
    if (ra_signing_lock_state(r, a->p.account_id, now, &failed, &locked_until, &locked, &e) !=
        SERTEL_OK) {
        store_rollback(r->st);
        return busy(err, &e);
    }
    if (locked) {
        store_rollback(r->st);
        a->locked = 1;
        a->hard_locked = locked == 2;
        a->locked_until = locked == 2 ? 0 : locked_until;
        return SERTEL_OK;
    }
    /* The key of the person's certificate, read before anything is counted. */
    {
        char status[16];
        int64_t na;
        if (ra_current_cert(r, a->p.account_id, a->serial, status, &na, &e) != SERTEL_OK ||
            (a->serial[0] && ra_key_row_load(r, a->serial, &a->key, &e) != SERTEL_OK)) {
            store_rollback(r->st);
            return busy(err, &e);
        }
    }
    rc = ra_signing_count_failure(r, &a->p, now, failed, locked_until, &a->failed, &a->set_soft,
                                  &a->set_hard, &e);
    if (rc != SERTEL_OK || ca_txn_commit(r->ca, &e) != SERTEL_OK) {
        store_rollback(r->st);
        return busy(err, &e);
    }
    a->counted = 1;
    if (a->set_soft || a->set_hard)
        ra_signing_lock_mail(r, &a->p, a->failed, a->set_hard);
    return SERTEL_OK;
}

/* Which second factor this attempt must show. */
static factor factor_needed(ra *r, purpose pu, int has_totp)
{
    if (pu == PURPOSE_ENROLL)
        return has_totp                                 ? FACTOR_TOTP
               : strcmp(r->second_factor, "email") == 0 ? FACTOR_EMAIL
                                                        : FACTOR_NONE;
    if (strcmp(r->second_factor, "totp") == 0)
        return FACTOR_TOTP;
    if (strcmp(r->second_factor, "email") == 0)
        return FACTOR_EMAIL;
    return FACTOR_NONE;
}

/* Check and consume the second factor inside the settlement's transaction. 1 when right. */
static int factor_ok(ra *r, const attempt *a, factor f, const char *otp, sertel_err *err)
{
    int rc, ok = 0;

    if (f == FACTOR_NONE)
        return 1;
    if (otp == NULL || otp[0] == '\0')
        return 0;
    if (f == FACTOR_EMAIL) {
        char tok[2 * RA_TOKEN_BYTES + 1];
        unsigned char md[32];
        int64_t acct = 0;
        sertel_err e = {0};
        if (strlen(otp) != 8 || strspn(otp, "0123456789") != 8)
            return 0;
        /* The stored token is the hash of hex(SHA-256(account:code)) (ra_email_otp_send). */
        snprintf(tok, sizeof(tok), "%lld:%s", (long long)a->p.account_id, otp);
        EVP_Digest(tok, strlen(tok), md, NULL, EVP_sha256(), NULL);
        hex_encode(md, sizeof(md), tok);
        rc = ra_token_consume(r, "email_otp", tok, &acct, NULL, &e);
        sodium_memzero(tok, sizeof(tok));
        if (rc == SERTEL_ERR_DENIED)
            return 0;
        if (rc != SERTEL_OK) {
            *err = e;
            return -1;
        }
        return acct == a->p.account_id;
    }
    return ra_totp_use(r, a->p.account_id, otp, &ok, err) != SERTEL_OK ? -1 : ok;
}

int ra_totp_use(ra *r, int64_t account, const char *code, int *ok, sertel_err *err)
{
    store_stmt *s = NULL;
    unsigned char secret[TOTP_SECRET_MAX];
    size_t slen = 0;
    int64_t last = 0;
    uint64_t matched = 0;
    int rc, found = 0;

    *ok = 0;
    rc = store_queryf(r->st, &s, err,
                      "SELECT totp_box, totp_last_step FROM accounts WHERE id = ? AND totp_box IS "
                      "NOT NULL",
                      "i", account);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        size_t blen = 0;
        const void *b = store_col_blob(s, 0, &blen);
        last = store_col_int64(s, 1);
        rc = ra_box_open(r, RA_BOX_TOTP, account, b, blen, secret, sizeof(secret), &slen, err);
        found = rc == SERTEL_OK;
    }
    store_finalize(s);
    if (rc < 0)
        goto out;
    rc = SERTEL_OK;
    if (found && slen >= TOTP_SECRET_MIN &&
        totp_verify(secret, slen, code, (uint64_t)time(NULL), 1, (uint64_t)last, &matched) ==
            SERTEL_OK) {
        /* Only one transaction can move the step past this code's (RFC 6238 §5.2). */
        rc = store_execf(r->st, err,
                         "UPDATE accounts SET totp_last_step = ? WHERE id = ? AND totp_last_step "
                         "< ?",
                         "iii", (int64_t)matched, account, (int64_t)matched);
        *ok = rc == SERTEL_OK && store_changes(r->st) == 1;
    }
out:
    sodium_memzero(secret, sizeof(secret));
    return rc;
}

int ra_totp_enrolled(ra *r, int64_t account, int *out, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc = store_queryf(r->st, &s, err, "SELECT totp_box IS NOT NULL FROM accounts WHERE id = ?",
                          "i", account);

    *out = 0;
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW)
        *out = (int)store_col_int64(s, 0);
    store_finalize(s);
    return rc < 0 ? rc : SERTEL_OK;
}

int ra_totp_store(ra *r, int64_t account, const unsigned char *secret, size_t len, sertel_err *err)
{
    unsigned char *box = NULL;
    size_t blen = 0;
    int rc = ra_box_seal(r, RA_BOX_TOTP, account, secret, len, &box, &blen, err);

    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "UPDATE accounts SET totp_box = ?, totp_last_step = 0 WHERE id = ?", "bi",
                         box, blen, account);
    free(box);
    return rc;
}

/* What a settled enrolment writes: the new secret, audited, in the settlement's transaction. */
static int enroll_in_txn(ra *r, const ra_actor *by, const attempt *a, const unsigned char *secret,
                         size_t len, sertel_err *err)
{
    int rc = ra_totp_store(r, a->p.account_id, secret, len, err);

    if (rc == SERTEL_OK)
        rc = ra_audit_by(r, by, AUDIT_TOTP_ENROLLED, a->p.email, a->p.email,
                         json_pack("{s:s}", "factor", "totp"), err);
    return rc;
}

/*
 * Settle the attempt: decide the outcome with key (NULL: wrong passphrase,
 * unknown or locked), record and audit it, and for a success make the
 * purpose's change. *ok is 1 when authorized.
 */
static int settle(ra *r, const ra_actor *by, attempt *a, purpose pu, EVP_PKEY *key, const char *otp,
                  int vouched, const unsigned char *new_secret, size_t new_len, int *ok,
                  sertel_err *err)
{
    const char *why = "ok";
    sertel_err e = {0};
    ra_status st = RA_STATUS_NOT_REGISTERED;
    int rc, f, ht = 0;

    *ok = 0;
    /* An attempt is counted, refused for a lock, or of an unknown account: one of them. */
    SERTEL_ASSERT(a->counted + a->locked + !a->known == 1);
    if (ca_txn_begin(r->ca, &e) != SERTEL_OK)
        return busy(err, &e);
    if (!a->known)
        why = "unknown_account";
    else if (a->locked)
        why = "locked";
    else if (key == NULL)
        why = "wrong_passphrase";
    rc = SERTEL_OK;
    if (strcmp(why, "ok") == 0) {
        /* Only ISSUE may sign or enrol: a suspended or revoked certificate may not. */
        rc = ra_status_of_account(r, a->p.account_id, &st, &e);
        if (rc == SERTEL_OK && st != RA_STATUS_ISSUE)
            why = "status_not_issue";
    }
    if (rc == SERTEL_OK && strcmp(why, "ok") == 0 &&
        (rc = ra_totp_enrolled(r, a->p.account_id, &ht, &e)) == SERTEL_OK) {
        factor fn = factor_needed(r, pu, ht);
        /* An API client that vouches for its own user's login stands for the code (signing
         * only; ra_sign_factor_needed decided it, and the audit entry says so). */
        f = vouched && pu == PURPOSE_SIGN && fn != FACTOR_NONE ? 1 : factor_ok(r, a, fn, otp, &e);
        if (f < 0)
            rc = SERTEL_ERR_STORE;
        else if (f == 0)
            why = "wrong_second_factor";
    }
    if (rc == SERTEL_OK && strcmp(why, "ok") == 0) {
        rc = store_execf(r->st, &e,
                         "UPDATE subscribers SET failed_attempts = 0, locked_until = CASE WHEN ? "
                         "THEN 0 ELSE locked_until END, hard_locked = CASE WHEN ? THEN 0 ELSE "
                         "hard_locked END WHERE account_id = ?",
                         "iii", (int64_t)a->set_soft, (int64_t)a->set_hard, a->p.account_id);
        if (rc == SERTEL_OK && pu == PURPOSE_ENROLL)
            rc = enroll_in_txn(r, by, a, new_secret, new_len, &e);
    }
    if (rc == SERTEL_OK) {
        json_t *d =
            json_pack("{s:s, s:s, s:s}", "result", strcmp(why, "ok") == 0 ? "authorized" : "denied",
                      "why", why, "purpose", pu == PURPOSE_SIGN ? "sign" : "enroll");
        if (d != NULL && a->counted && strcmp(why, "ok") != 0)
            json_object_set_new(d, "failed_in_a_row", json_integer(a->failed));
        if (d != NULL && vouched && pu == PURPOSE_SIGN) {
            json_object_set_new(d, "second_factor", json_string("vouched_by_client"));
            json_object_set_new(d, "client", json_string(by->client_id));
        }
        rc = ra_audit_by(r, by, strcmp(why, "ok") == 0 ? AUDIT_SIGN_AUTHORIZED : AUDIT_SIGN_DENIED,
                         a->p.email, a->known ? a->p.email : NULL, d, &e);
    }
    if (rc != SERTEL_OK || ca_txn_commit(r->ca, &e) != SERTEL_OK) {
        ca_txn_rollback(r->ca);
        return busy(err, &e);
    }
    if (strcmp(why, "ok") != 0)
        return sertel_err_set(err, SERTEL_ERR_DENIED, DENIED_MSG);
    *ok = 1;
    return SERTEL_OK;
}

/*
 * The whole attempt: reserve, derive, settle. On success for PURPOSE_SIGN
 * *out receives the signer (key, certificate, chain).
 */
/*
 * What a refused attempt may tell an actor allowed to act for the person
 * (ra_sign_authorize_ex): nothing that depends on the passphrase.
 */
static void explain(ra *r, const attempt *a, ra_sign_why *why)
{
    ra_status st = RA_STATUS_NOT_REGISTERED;
    sertel_err e = {0};

    why->refusal = RA_REFUSAL_CREDENTIALS;
    if (!a->known)
        return;
    if (a->locked) {
        int64_t now = (int64_t)time(NULL);
        why->refusal = RA_REFUSAL_LOCKED;
        why->retry_after = a->hard_locked ? 0 : a->locked_until > now ? a->locked_until - now : 1;
        return;
    }
    if (ra_status_of_account(r, a->p.account_id, &st, &e) == SERTEL_OK && st != RA_STATUS_ISSUE) {
        why->refusal = RA_REFUSAL_STATUS;
        why->status = st;
    }
}

static int authenticate(ra *r, const ra_actor *by, ra_action act, purpose pu, const char *email,
                        const char *passphrase, const char *otp, int vouched,
                        const unsigned char *new_secret, size_t new_len, ra_signer **out,
                        ra_sign_why *why, sertel_err *err)
{
    attempt a;
    EVP_PKEY *key = NULL;
    ra_signer *sg = NULL;
    sertel_err e = {0};
    int rc, ok = 0;

    if (out != NULL)
        *out = NULL;
    memset(&a, 0, sizeof(a));
    if (why != NULL)
        memset(why, 0, sizeof(*why));
    if (strlen(passphrase) > 1024) {
        if (why != NULL)
            why->refusal = RA_REFUSAL_CREDENTIALS;
        return sertel_err_set(err, SERTEL_ERR_DENIED, DENIED_MSG);
    }
    rc = reserve(r, by, act, email, &a, err);
    if (rc != SERTEL_OK)
        goto out;
    /* The same work in every case: a derivation from the passphrase (none counted uncounted). */
    SERTEL_ASSERT(!a.counted || a.known);
    key = ra_key_unlock(r, a.counted && a.key.found ? &a.key : NULL, passphrase);
    if (!a.counted) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    rc = settle(r, by, &a, pu, key, otp, vouched, new_secret, new_len, &ok, err);
    if (rc == SERTEL_ERR_DENIED && why != NULL)
        explain(r, &a, why);
    if (rc != SERTEL_OK || !ok || pu != PURPOSE_SIGN)
        goto out;
    sg = calloc(1, sizeof(*sg));
    if (sg == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    sg->account_id = a.p.account_id;
    if ((rc = ra_signer_chain(r, a.serial, sg, &e)) != SERTEL_OK) {
        rc = busy(err, &e);
        goto out;
    }
    sg->key = key;
    key = NULL;
    *out = sg;
    sg = NULL;
out:
    EVP_PKEY_free(key);
    ra_signer_free(sg);
    attempt_clear(&a);
    return rc;
}

int ra_sign_authorize(ra *r, const ra_actor *by, const char *owner, const char *passphrase,
                      const char *otp, ra_signer **out, sertel_err *err)
{
    return ra_sign_authorize_ex(r, by, owner, NULL, passphrase, otp, out, NULL, err);
}

int ra_sign_authorize_nik(ra *r, const ra_actor *by, const char *nik, const char *passphrase,
                          const char *otp, ra_signer **out, sertel_err *err)
{
    return ra_sign_authorize_ex(r, by, NULL, nik, passphrase, otp, out, NULL, err);
}

int ra_email_of_nik(ra *r, const char *nik, char *email, size_t cap, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    snprintf(email, cap, "unknown NIK"); /* no account has it: the unknown-account path */
    if ((rc = nik_check(nik, NULL, err)) != SERTEL_OK)
        return rc;
    rc = store_queryf(r->st, &s, err,
                      "SELECT a.email FROM subscribers b JOIN accounts a ON a.id = b.account_id "
                      "WHERE b.nik = ?",
                      "t", nik);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        snprintf(email, cap, "%s", store_col_text(s, 0));
        rc = SERTEL_OK;
    } else if (rc == STORE_DONE) {
        rc = SERTEL_OK;
    }
    store_finalize(s);
    return rc;
}

int ra_sign_authorize_ex(ra *r, const ra_actor *by, const char *email, const char *nik,
                         const char *passphrase, const char *otp, ra_signer **out, ra_sign_why *why,
                         sertel_err *err)
{
    char byn[320];
    int rc, vouched = 0;

    *out = NULL;
    if (why != NULL)
        memset(why, 0, sizeof(*why));
    if ((email == NULL) == (nik == NULL))
        return sertel_err_set(err, SERTEL_ERR_INVALID, "name the owner by e-mail or by NIK");
    if (nik != NULL) {
        /* An unknown NIK does the same work and gets the same answer as a wrong passphrase. */
        if ((rc = ra_email_of_nik(r, nik, byn, sizeof(byn), err)) != SERTEL_OK)
            return rc;
        email = byn;
    }
    if (strcmp(r->second_factor, "off") != 0 && (otp == NULL || otp[0] == '\0')) {
        sertel_err e = {0};
        int needed = 1;
        if (ra_sign_factor_needed(r, by, &needed, &e) != SERTEL_OK)
            return busy(err, &e);
        if (needed)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "a one-time code is required (--otp): from your authenticator "
                                  "app (totp) or the mail sent by 'sertel otp send' (email)");
        vouched = 1; /* an API client that vouches for its user's login stands for the code */
    }
    return authenticate(r, by, RA_ACT_SIGN, PURPOSE_SIGN, email, passphrase, otp, vouched, NULL, 0,
                        out, why, err);
}

int ra_totp_enroll(ra *r, const ra_actor *by, const char *owner, const char *passphrase,
                   const char *otp, char *uri_out, size_t cap, sertel_err *err)
{
    unsigned char secret[TOTP_SECRET_LEN];
    char uri[TOTP_URI_MAX], issuer[TOTP_LABEL_MAX + 1];
    int rc;

    uri_out[0] = '\0';
    rc = totp_generate_secret(secret, sizeof(secret));
    if (rc != SERTEL_OK)
        return sertel_err_set(err, rc, "cannot generate a TOTP secret");
    /* The URI is built first: nothing is enrolled that could not be shown. */
    snprintf(issuer, sizeof(issuer), "%s", r->totp_issuer);
    rc = totp_uri(issuer, owner, secret, sizeof(secret), uri, sizeof(uri), err);
    if (rc == SERTEL_OK && strlen(uri) >= cap)
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "the otpauth URI does not fit");
    if (rc == SERTEL_OK)
        rc = authenticate(r, by, RA_ACT_FACTOR_ENROLL, PURPOSE_ENROLL, owner, passphrase, otp, 0,
                          secret, sizeof(secret), NULL, NULL, err);
    if (rc == SERTEL_OK)
        memcpy(uri_out, uri, strlen(uri) + 1);
    sodium_memzero(secret, sizeof(secret));
    sodium_memzero(uri, sizeof(uri));
    return rc;
}

/*
 * A staff act on an owner's sign-in state that needs no passphrase (reset
 * a factor, lift a lock): the policy for act on the person (account 0) or
 * on any account (account 1: a staff member's login factor too), then one
 * update (sql, its one parameter the account id) with its audit entry, in
 * one transaction.
 */
static int staff_act(ra *r, const ra_actor *by, ra_action act, const char *owner, int account,
                     const char *sql, const char *event, json_t *details, sertel_err *err)
{
    ra_person p;
    int rc = account ? ra_account_for(r, by, act, owner, &p, err)
                     : ra_owner_for(r, by, act, owner, &p, err);

    if (rc == SERTEL_OK)
        rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK) {
        json_decref(details);
        return rc;
    }
    rc = store_execf(r->st, err, sql, "i", p.account_id);
    if (rc == SERTEL_OK)
        rc = ra_audit_by(r, by, event, p.email, p.email, details, err);
    else
        json_decref(details);
    return ra_commit_or_rollback(r, rc, err);
}

int ra_totp_reset(ra *r, const ra_actor *by, const char *owner, sertel_err *err)
{
    /* Any account's authenticator: an owner's (signing) or a staff member's (login). */
    return staff_act(r, by, RA_ACT_FACTOR_RESET, owner, 1,
                     "UPDATE accounts SET totp_box = NULL, totp_last_step = 0 WHERE id = ?",
                     AUDIT_TOTP_RESET, json_pack("{s:s}", "factor", "totp"), err);
}

int ra_unlock(ra *r, const ra_actor *by, const char *owner, sertel_err *err)
{
    return staff_act(r, by, RA_ACT_UNLOCK, owner, 0,
                     "UPDATE subscribers SET failed_attempts = 0, locked_until = 0, "
                     "hard_locked = 0 WHERE account_id = ?",
                     AUDIT_SIGN_UNLOCKED, json_object(), err);
}

int ra_email_otp_send(ra *r, const ra_actor *by, const char *owner, sertel_err *err)
{
    ra_person p;
    char code[9], tok[2 * RA_TOKEN_BYTES + 1], hash[65], body[512];
    unsigned char md[32];
    int64_t now = (int64_t)time(NULL);
    sertel_err e = {0};
    int rc;

    rc = ra_owner_for(r, by, RA_ACT_CODE_REQUEST, owner, &p, &e);
    if (rc == SERTEL_ERR_NOTFOUND)
        return SERTEL_OK; /* same answer for unknown accounts; nothing is sent */
    if (rc != SERTEL_OK) {
        *err = e;
        return rc;
    }
    snprintf(code, sizeof(code), "%08u", randombytes_uniform(100000000u));
    snprintf(tok, sizeof(tok), "%lld:%s", (long long)p.account_id, code);
    EVP_Digest(tok, strlen(tok), md, NULL, EVP_sha256(), NULL);
    hex_encode(md, sizeof(md), tok);
    /* ra_token_consume hashes what it is given: store the hash of tok. */
    EVP_Digest(tok, strlen(tok), md, NULL, EVP_sha256(), NULL);
    hex_encode(md, sizeof(md), hash);
    rc = ca_txn_begin(r->ca, err);
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "INSERT INTO tokens (hash, purpose, account_id, expires_at, created_at) "
                         "VALUES (?, 'email_otp', ?, ?, ?)",
                         "tiii", hash, p.account_id, now + EMAIL_OTP_TTL, now);
    snprintf(body, sizeof(body),
             "Kode sekali pakai untuk tanda tangan elektronik: %s\r\nBerlaku 5 menit. Jangan "
             "berikan kode ini kepada siapa pun.\r\n\r\nYour one-time signing code: %s (valid 5 "
             "minutes).\r\n",
             code, code);
    if (rc == SERTEL_OK)
        rc = ra_mail(r, p.email, "Kode tanda tangan elektronik", body, err);
    if (rc == SERTEL_OK)
        rc = ra_audit_by(r, by, AUDIT_OTP_SENT, p.email, p.email, json_object(), err);
    rc = ra_commit_or_rollback(r, rc, err);
    sodium_memzero(code, sizeof(code));
    sodium_memzero(tok, sizeof(tok));
    sodium_memzero(body, sizeof(body));
    return rc;
}

int ra_totp_enroll_staff(ra *r, const ra_actor *by, char *uri_out, size_t cap, sertel_err *err)
{
    unsigned char secret[TOTP_SECRET_LEN];
    char uri[TOTP_URI_MAX];
    int rc, has = 0;

    uri_out[0] = '\0';
    if (by->account_id == 0 || strcmp(by->role, RA_ROLE_CLIENT) == 0)
        return sertel_err_set(err, SERTEL_ERR_DENIED, "an authenticator belongs to an account");
    /* A person's authenticator is their signing factor: enrolled with the passphrase (and the
     * current factor's code), ra_totp_enroll; a session alone must not set it. */
    if (strcmp(by->role, RA_ROLE_VERIFIER) != 0 && strcmp(by->role, RA_ROLE_ADMIN) != 0 &&
        strcmp(by->role, RA_ROLE_AUDITOR) != 0)
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "a certificate owner enrols the signing authenticator with the "
                              "passphrase (and a code of the current factor, if any)");
    if ((rc = totp_generate_secret(secret, sizeof(secret))) != SERTEL_OK)
        return sertel_err_set(err, rc, "cannot generate a TOTP secret");
    rc = totp_uri(r->totp_issuer, by->email, secret, sizeof(secret), uri, sizeof(uri), err);
    if (rc == SERTEL_OK && strlen(uri) >= cap)
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "the otpauth URI does not fit");
    if (rc == SERTEL_OK)
        rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK)
        goto out;
    rc = ra_totp_enrolled(r, by->account_id, &has, err);
    if (rc == SERTEL_OK && has)
        rc = sertel_err_set(err, SERTEL_ERR_STATE,
                            "an authenticator is enrolled already: a verifier or an "
                            "administrator resets it first (sertel totp reset)");
    if (rc == SERTEL_OK)
        rc = ra_totp_store(r, by->account_id, secret, sizeof(secret), err);
    if (rc == SERTEL_OK)
        rc = ra_audit_by(r, by, AUDIT_TOTP_ENROLLED, by->email, NULL,
                         json_pack("{s:s, s:s}", "factor", "totp", "for", "login"), err);
    rc = ra_commit_or_rollback(r, rc, err);
    if (rc == SERTEL_OK)
        memcpy(uri_out, uri, strlen(uri) + 1);
out:
    sodium_memzero(secret, sizeof(secret));
    sodium_memzero(uri, sizeof(uri));
    return rc;
}
