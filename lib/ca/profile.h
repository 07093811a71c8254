/*
 * profile.h - certificate profiles: what a certificate of a kind contains.
 *
 * Profiles are data in <home>/sertel.conf, one "[profile NAME]" section
 * each, not code. Keys (all optional unless marked):
 *
 *   validity_days      = 730            (required) lifetime in days
 *   ca                 = false          basicConstraints cA (always critical)
 *   path_len           = 0              pathLenConstraint for CA profiles
 *   key_usage          = digitalSignature, nonRepudiation   (required)
 *   key_usage_critical = true
 *   extended_key_usage = 1.3.6.1.5.5.7.3.36, emailProtection
 *   eku_critical       = false
 *   ocsp_nocheck       = false          id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1)
 *   subject_required   = C, O, CN       attributes that must be present
 *   subject_optional   = OU             attributes that may be present
 *   country            = ID             the only allowed C value
 *   san_email          = required | optional | none
 *   policy_oid         = 1.2.3...       certificatePolicies OID
 *   cps_uri            = http://...     CPS qualifier URI
 *   aia                = true           authorityInfoAccess (OCSP + caIssuers)
 *   crl_dp             = true           cRLDistributionPoints
 *   key_types          = ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096
 *
 * Subject attributes are written in the fixed order C, O, OU, CN
 * (RFC 5280 leaves order to the CA; a fixed order is what relying
 * parties and linters expect).
 */
#ifndef SERTEL_CA_PROFILE_H
#define SERTEL_CA_PROFILE_H

#include <stdint.h>

#include "conf/conf.h"
#include "keystore/keystore.h"
#include "util/err.h"

#define PROFILE_NAME_MAX 64
#define PROFILE_EKU_MAX 8
#define PROFILE_OID_MAX 128
#define PROFILE_URI_MAX 512

/* Subject attributes a profile can require or allow. */
#define PROFILE_ATTR_C 0x1
#define PROFILE_ATTR_O 0x2
#define PROFILE_ATTR_OU 0x4
#define PROFILE_ATTR_CN 0x8

typedef enum profile_san {
    PROFILE_SAN_NONE = 0,
    PROFILE_SAN_OPTIONAL = 1,
    PROFILE_SAN_REQUIRED = 2,
} profile_san;

typedef struct ca_profile {
    char name[PROFILE_NAME_MAX];
    int64_t validity_days;
    int is_ca;
    int path_len;       /* -1: no pathLenConstraint */
    unsigned key_usage; /* X509v3_KU_* bits from <openssl/x509v3.h> */
    int key_usage_critical;
    char eku[PROFILE_EKU_MAX][PROFILE_OID_MAX]; /* dotted OIDs */
    int n_eku;
    int eku_critical;
    int ocsp_nocheck;
    unsigned subject_required; /* PROFILE_ATTR_* */
    unsigned subject_allowed;  /* required | optional */
    char country[3];           /* "" for any */
    profile_san san_email;
    char policy_oid[PROFILE_OID_MAX]; /* "" for none */
    char cps_uri[PROFILE_URI_MAX];    /* "" for none */
    int aia;
    int crl_dp;
    unsigned key_types; /* bit (1u << ks_keytype) per allowed type */
} ca_profile;

/*
 * Read profile name from the configuration. SERTEL_ERR_NOTFOUND when there
 * is no such section (the message lists the profiles that exist);
 * SERTEL_ERR_CONFIG naming the key for a bad value.
 */
int profile_load(const conf *c, const char *name, ca_profile *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/* 1 when the profile allows the key type. */
int profile_allows_key(const ca_profile *p, ks_keytype t) SERTEL_NONNULL(1);

#endif
