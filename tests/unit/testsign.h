/*
 * testsign.h - signers and an in-process RFC 3161 time-stamping authority
 * for the unit tests of the modules that sign (pdf, pades). Linked only
 * into those tests. Failures abort the test (cmocka asserts).
 */
#ifndef SERTEL_TESTSIGN_H
#define SERTEL_TESTSIGN_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cms/cms.h"

/* A signer with a fresh P-256 key and a self-signed certificate named cn (no extensions). */
void tu_signer(cms_signer *s, const char *cn);

/* Free what tu_signer made (key, certificate and chain). */
void tu_signer_free(cms_signer *s);

/*
 * A test TSA. tu_tsa_fn (a cms_tsa_fn, arg = the tu_tsa) answers each
 * request with a token signed by key/cert, or by key2/cert2 from call
 * switch_at on (a TSA that changed certificates); it fails (SERTEL_ERR_IO)
 * while fail is set. From call grow_from on, or with grow_each 4 more per
 * call, tokens carry certificates of extra (to grow them).
 */
typedef struct tu_tsa {
    EVP_PKEY *key, *key2;
    X509 *cert, *cert2;
    int calls;
    int fail;
    int switch_at;
    int grow_from;
    int grow_each;
    STACK_OF(X509) * extra;
} tu_tsa;

/* Zero t and give it a P-256 key with a self-signed id-kp-timeStamping certificate. */
void tu_tsa_init(tu_tsa *t);

int tu_tsa_fn(void *arg, const unsigned char *req, size_t req_len, unsigned char **resp,
              size_t *resp_len, sertel_err *err);

/* Free the keys, certificates and extra of t. */
void tu_tsa_free(tu_tsa *t);

#endif
