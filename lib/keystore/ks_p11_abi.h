/*
 * ks_p11_abi.h - the small part of the PKCS#11 (Cryptoki) v2.40 C interface
 * that the keystore calls directly, next to libp11.
 *
 * Why not <pkcs11.h>: Debian 12 ships no standalone Cryptoki header with
 * libp11-dev (only p11-kit's and NSS's copies, pulled in by unrelated
 * packages). The declarations below follow OASIS PKCS#11 Base Specification
 * v2.40 (section 3 "Data types", section 4 "Objects", section 5 "Functions")
 * with the Unix conventions of its pkcs11.h: CK_ULONG is unsigned long,
 * structures use the platform's default packing, and CK_FUNCTION_LIST lists
 * every v2.40 entry point in the order the standard fixes. Entry points the
 * keystore does not call are kept as opaque pointers so the layout stays
 * exact.
 *
 * Internal to the keystore module (and its unit test).
 */
#ifndef SERTEL_KS_P11_ABI_H
#define SERTEL_KS_P11_ABI_H

typedef unsigned char CK_BYTE;
typedef unsigned char CK_BBOOL;
typedef unsigned long CK_ULONG;
typedef CK_ULONG CK_RV;
typedef CK_ULONG CK_FLAGS;
typedef CK_ULONG CK_SLOT_ID;
typedef CK_ULONG CK_SESSION_HANDLE;
typedef CK_ULONG CK_OBJECT_HANDLE;
typedef CK_ULONG CK_OBJECT_CLASS;
typedef CK_ULONG CK_KEY_TYPE;
typedef CK_ULONG CK_ATTRIBUTE_TYPE;
typedef CK_ULONG CK_MECHANISM_TYPE;
typedef CK_ULONG CK_STATE;

#define CK_TRUE 1
#define CK_FALSE 0
#define CK_INVALID_HANDLE 0UL
#define CK_UNAVAILABLE_INFORMATION (~0UL)

typedef struct CK_VERSION {
    CK_BYTE major;
    CK_BYTE minor;
} CK_VERSION;

typedef struct CK_ATTRIBUTE {
    CK_ATTRIBUTE_TYPE type;
    void *pValue;
    CK_ULONG ulValueLen;
} CK_ATTRIBUTE;

typedef struct CK_MECHANISM {
    CK_MECHANISM_TYPE mechanism;
    void *pParameter;
    CK_ULONG ulParameterLen;
} CK_MECHANISM;

typedef struct CK_SESSION_INFO {
    CK_SLOT_ID slotID;
    CK_STATE state;
    CK_FLAGS flags;
    CK_ULONG ulDeviceError;
} CK_SESSION_INFO;

typedef CK_RV (*CK_NOTIFY)(CK_SESSION_HANDLE, CK_ULONG, void *);

/* Session flags (section 5.6) and states (section 5.6, CK_STATE). */
#define CKF_RW_SESSION 0x2UL
#define CKF_SERIAL_SESSION 0x4UL
#define CKS_RW_USER_FUNCTIONS 3UL

/* Object classes and key types (section 4). */
#define CKO_PUBLIC_KEY 2UL
#define CKO_PRIVATE_KEY 3UL
#define CKK_RSA 0UL
#define CKK_EC 3UL

/* Attributes (section 4). */
#define CKA_CLASS 0x000UL
#define CKA_TOKEN 0x001UL
#define CKA_PRIVATE 0x002UL
#define CKA_LABEL 0x003UL
#define CKA_VALUE 0x011UL
#define CKA_KEY_TYPE 0x100UL
#define CKA_ID 0x102UL
#define CKA_SENSITIVE 0x103UL
#define CKA_ENCRYPT 0x104UL
#define CKA_DECRYPT 0x105UL
#define CKA_WRAP 0x106UL
#define CKA_UNWRAP 0x107UL
#define CKA_SIGN 0x108UL
#define CKA_VERIFY 0x10aUL
#define CKA_DERIVE 0x10cUL
#define CKA_MODULUS 0x120UL
#define CKA_MODULUS_BITS 0x121UL
#define CKA_PUBLIC_EXPONENT 0x122UL
#define CKA_PRIVATE_EXPONENT 0x123UL
#define CKA_EXTRACTABLE 0x162UL
#define CKA_NEVER_EXTRACTABLE 0x164UL
#define CKA_ALWAYS_SENSITIVE 0x165UL
#define CKA_EC_PARAMS 0x180UL
#define CKA_EC_POINT 0x181UL

/* Mechanisms (PKCS#11 Current Mechanisms v2.40, sections 2.1.4 and 2.3.5). */
#define CKM_RSA_PKCS_KEY_PAIR_GEN 0x0000UL
#define CKM_EC_KEY_PAIR_GEN 0x1040UL

/* Return values (section 3.6). */
#define CKR_OK 0x000UL
#define CKR_HOST_MEMORY 0x002UL
#define CKR_GENERAL_ERROR 0x005UL
#define CKR_FUNCTION_FAILED 0x006UL
#define CKR_ARGUMENTS_BAD 0x007UL
#define CKR_ATTRIBUTE_READ_ONLY 0x010UL
#define CKR_ATTRIBUTE_SENSITIVE 0x011UL
#define CKR_ATTRIBUTE_TYPE_INVALID 0x012UL
#define CKR_ATTRIBUTE_VALUE_INVALID 0x013UL
#define CKR_DEVICE_ERROR 0x030UL
#define CKR_DEVICE_MEMORY 0x031UL
#define CKR_DEVICE_REMOVED 0x032UL
#define CKR_FUNCTION_NOT_SUPPORTED 0x054UL
#define CKR_KEY_SIZE_RANGE 0x062UL
#define CKR_MECHANISM_INVALID 0x070UL
#define CKR_MECHANISM_PARAM_INVALID 0x071UL
#define CKR_OBJECT_HANDLE_INVALID 0x082UL
#define CKR_PIN_INCORRECT 0x0a0UL
#define CKR_PIN_INVALID 0x0a1UL
#define CKR_PIN_LEN_RANGE 0x0a2UL
#define CKR_PIN_EXPIRED 0x0a3UL
#define CKR_PIN_LOCKED 0x0a4UL
#define CKR_SESSION_CLOSED 0x0b0UL
#define CKR_SESSION_HANDLE_INVALID 0x0b3UL
#define CKR_SESSION_READ_ONLY 0x0b5UL
#define CKR_TEMPLATE_INCOMPLETE 0x0d0UL
#define CKR_TEMPLATE_INCONSISTENT 0x0d1UL
#define CKR_TOKEN_NOT_PRESENT 0x0e0UL
#define CKR_TOKEN_WRITE_PROTECTED 0x0e2UL
#define CKR_BUFFER_TOO_SMALL 0x150UL
#define CKR_USER_ALREADY_LOGGED_IN 0x100UL
#define CKR_USER_NOT_LOGGED_IN 0x101UL
#define CKR_CRYPTOKI_NOT_INITIALIZED 0x190UL
#define CKR_CRYPTOKI_ALREADY_INITIALIZED 0x191UL

typedef void (*CK_OPAQUE_FN)(void);

/* The v2.40 function list (section 5.2), in the standard's order. */
typedef struct CK_FUNCTION_LIST {
    CK_VERSION version;
    CK_OPAQUE_FN C_Initialize;
    CK_OPAQUE_FN C_Finalize;
    CK_OPAQUE_FN C_GetInfo;
    CK_OPAQUE_FN C_GetFunctionList;
    CK_OPAQUE_FN C_GetSlotList;
    CK_OPAQUE_FN C_GetSlotInfo;
    CK_OPAQUE_FN C_GetTokenInfo;
    CK_OPAQUE_FN C_GetMechanismList;
    CK_OPAQUE_FN C_GetMechanismInfo;
    CK_OPAQUE_FN C_InitToken;
    CK_OPAQUE_FN C_InitPIN;
    CK_OPAQUE_FN C_SetPIN;
    CK_RV(*C_OpenSession)
    (CK_SLOT_ID slot, CK_FLAGS flags, void *application, CK_NOTIFY notify,
     CK_SESSION_HANDLE *session);
    CK_RV (*C_CloseSession)(CK_SESSION_HANDLE session);
    CK_OPAQUE_FN C_CloseAllSessions;
    CK_RV (*C_GetSessionInfo)(CK_SESSION_HANDLE session, CK_SESSION_INFO *info);
    CK_OPAQUE_FN C_GetOperationState;
    CK_OPAQUE_FN C_SetOperationState;
    CK_OPAQUE_FN C_Login;
    CK_OPAQUE_FN C_Logout;
    CK_OPAQUE_FN C_CreateObject;
    CK_OPAQUE_FN C_CopyObject;
    CK_RV (*C_DestroyObject)(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object);
    CK_OPAQUE_FN C_GetObjectSize;
    CK_RV(*C_GetAttributeValue)
    (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE *templ, CK_ULONG count);
    CK_OPAQUE_FN C_SetAttributeValue;
    CK_RV (*C_FindObjectsInit)(CK_SESSION_HANDLE session, CK_ATTRIBUTE *templ, CK_ULONG count);
    CK_RV(*C_FindObjects)
    (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE *objects, CK_ULONG max_count, CK_ULONG *count);
    CK_RV (*C_FindObjectsFinal)(CK_SESSION_HANDLE session);
    CK_OPAQUE_FN C_EncryptInit;
    CK_OPAQUE_FN C_Encrypt;
    CK_OPAQUE_FN C_EncryptUpdate;
    CK_OPAQUE_FN C_EncryptFinal;
    CK_OPAQUE_FN C_DecryptInit;
    CK_OPAQUE_FN C_Decrypt;
    CK_OPAQUE_FN C_DecryptUpdate;
    CK_OPAQUE_FN C_DecryptFinal;
    CK_OPAQUE_FN C_DigestInit;
    CK_OPAQUE_FN C_Digest;
    CK_OPAQUE_FN C_DigestUpdate;
    CK_OPAQUE_FN C_DigestKey;
    CK_OPAQUE_FN C_DigestFinal;
    CK_OPAQUE_FN C_SignInit;
    CK_OPAQUE_FN C_Sign;
    CK_OPAQUE_FN C_SignUpdate;
    CK_OPAQUE_FN C_SignFinal;
    CK_OPAQUE_FN C_SignRecoverInit;
    CK_OPAQUE_FN C_SignRecover;
    CK_OPAQUE_FN C_VerifyInit;
    CK_OPAQUE_FN C_Verify;
    CK_OPAQUE_FN C_VerifyUpdate;
    CK_OPAQUE_FN C_VerifyFinal;
    CK_OPAQUE_FN C_VerifyRecoverInit;
    CK_OPAQUE_FN C_VerifyRecover;
    CK_OPAQUE_FN C_DigestEncryptUpdate;
    CK_OPAQUE_FN C_DecryptDigestUpdate;
    CK_OPAQUE_FN C_SignEncryptUpdate;
    CK_OPAQUE_FN C_DecryptVerifyUpdate;
    CK_OPAQUE_FN C_GenerateKey;
    CK_RV(*C_GenerateKeyPair)
    (CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_ATTRIBUTE *pub_templ,
     CK_ULONG pub_count, CK_ATTRIBUTE *priv_templ, CK_ULONG priv_count, CK_OBJECT_HANDLE *pub,
     CK_OBJECT_HANDLE *priv);
    CK_OPAQUE_FN C_WrapKey;
    CK_OPAQUE_FN C_UnwrapKey;
    CK_OPAQUE_FN C_DeriveKey;
    CK_OPAQUE_FN C_SeedRandom;
    CK_OPAQUE_FN C_GenerateRandom;
    CK_OPAQUE_FN C_GetFunctionStatus;
    CK_OPAQUE_FN C_CancelFunction;
    CK_OPAQUE_FN C_WaitForSlotEvent;
} CK_FUNCTION_LIST;

typedef CK_RV (*CK_C_GetFunctionList)(CK_FUNCTION_LIST **list);

#endif
