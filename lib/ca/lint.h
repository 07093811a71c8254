/*
 * lint.h - checks run on every to-be-signed certificate before it is
 * signed. A certificate that fails a rule is never signed: issuance is
 * refused with the rule's name and what is wrong (the lesson of most public
 * mis-issuance incidents, which a linter would have caught).
 *
 * Rules follow RFC 5280 (sections cited in lint.c next to each rule), the
 * CA/Browser-Forum-style hygiene rules that apply to any CA, and the
 * certificate's profile.
 *
 * The certificate passed in is complete except for its signature; the
 * digest it will be signed with is given in lint_input.md (and, if the
 * signature-algorithm field is already filled in, it must agree).
 */
#ifndef SERTEL_CA_LINT_H
#define SERTEL_CA_LINT_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/profile.h"
#include "util/err.h"

typedef struct lint_input {
    const X509 *cert;          /* the to-be-signed certificate */
    const X509 *issuer;        /* the issuing CA's certificate; NULL when self-signed */
    EVP_PKEY *issuer_key;      /* the public key that will sign (issuer's, or own) */
    const EVP_MD *md;          /* digest the signature will use */
    const ca_profile *profile; /* the profile the certificate claims */
} lint_input;

/* One lint rule, for listing (`sertel lint rules`) and tests. */
typedef struct lint_rule {
    const char *name;        /* stable id, e.g. "serial_entropy" */
    const char *description; /* one line */
} lint_rule;

/* The table of rules, terminated by {NULL, NULL}. */
const lint_rule *lint_rules(void);

/*
 * Run every rule. SERTEL_OK when all pass; SERTEL_ERR_LINT for the first
 * failing rule with err->msg "lint rule NAME failed: what is wrong". If
 * failed_rule is not NULL it receives the rule's name (static string).
 */
int lint_check(const lint_input *in, const char **failed_rule, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1);

#endif
