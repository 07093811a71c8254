/*
 * verify_int.h - internals shared by the validator's files.
 */
#ifndef SERTEL_PDF_VERIFY_INT_H
#define SERTEL_PDF_VERIFY_INT_H

#include <openssl/evp.h>

#include "pdf/verify.h"

/* Digest the signed data with md into out; 0 on success. */
typedef int (*vfy_digest_fn)(void *arg, const EVP_MD *md, unsigned char *out, unsigned int *len);

void vfy_note(vfy_sig *s, const char *fmt, ...) SERTEL_PRINTF(2, 3);
void vfy_change(vfy_sig *s, int harmless, const char *fmt, ...) SERTEL_PRINTF(3, 4);
void vfy_set(vfy_sig *s, vfy_conclusion c, const char *sub, const char *fmt, ...)
    SERTEL_PRINTF(4, 5);
void vfy_report_note(vfy_report *r, const char *fmt, ...) SERTEL_PRINTF(2, 3);
void vfy_iso_time(time_t t, char out[40]);

/* CAdES / PKCS#7 signature (returns integrity). */
int vfy_check_cms(const unsigned char *der, size_t len, vfy_digest_fn dfn, void *darg,
                  const vfy_opts *o, vfy_sig *s);
/* Document time-stamp (ETSI.RFC3161). */
int vfy_check_doc_tst(const unsigned char *der, size_t len, vfy_digest_fn dfn, void *darg,
                      const vfy_opts *o, vfy_sig *s);

#endif
