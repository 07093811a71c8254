/*
 * testutil.h - helpers shared by the cmocka unit tests: temporary
 * directories that are removed afterwards, and test data paths.
 */
#ifndef SERTEL_TESTUTIL_H
#define SERTEL_TESTUTIL_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Make a fresh temporary directory; returns a malloc'ed path. Aborts on failure. */
char *tu_mkdtemp(void);

/* Remove a directory tree made by tu_mkdtemp and free the path. NULL-safe. */
void tu_rmtree(char *dir);

/* Path join into a static rotating buffer (valid for a few calls). */
const char *tu_path(const char *dir, const char *name);

/*
 * A test certificate: subject CN=cn for key's public key, signed by ikey
 * as icert (self-signed with key when icert is NULL), valid from a day ago
 * for 30 days, with serial; exts is NULL or NULL-terminated pairs of an
 * extension's name and its value in openssl.cnf syntax, e.g.
 * {"basicConstraints", "critical,CA:TRUE", NULL}. Aborts on failure.
 */
X509 *tu_cert(const char *cn, EVP_PKEY *key, X509 *icert, EVP_PKEY *ikey, long serial,
              const char *const *exts);

#endif
