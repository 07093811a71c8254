/*
 * testutil.c - helpers shared by the cmocka unit tests (see testutil.h).
 */

#include "testutil.h"

#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fs.h"

char *tu_mkdtemp(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    char *d;

    snprintf(tmpl, sizeof(tmpl), "%s/sertel-test-XXXXXX", base ? base : "/tmp");
    d = mkdtemp(tmpl);
    if (d == NULL) {
        perror("mkdtemp");
        abort();
    }
    return strdup(d);
}

void tu_rmtree(char *dir)
{
    if (dir == NULL)
        return;
    fs_rmtree(dir);
    free(dir);
}

const char *tu_path(const char *dir, const char *name)
{
    static char bufs[8][4096];
    static int next;
    char *b = bufs[next++ % 8];

    snprintf(b, 4096, "%s/%s", dir, name);
    return b;
}

X509 *tu_cert(const char *cn, EVP_PKEY *key, X509 *icert, EVP_PKEY *ikey, long serial,
              const char *const *exts)
{
    X509 *c = X509_new();
    X509_NAME *n = X509_NAME_new();
    X509V3_CTX ctx;
    size_t i;

    if (c == NULL || n == NULL || !X509_set_version(c, 2) ||
        !ASN1_INTEGER_set(X509_get_serialNumber(c), serial) ||
        !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) ||
        !X509_set_subject_name(c, n) ||
        !X509_set_issuer_name(c, icert ? X509_get_subject_name(icert) : n) ||
        X509_gmtime_adj(X509_getm_notBefore(c), -86400) == NULL ||
        X509_gmtime_adj(X509_getm_notAfter(c), 86400L * 30) == NULL || !X509_set_pubkey(c, key))
        abort();
    X509V3_set_ctx(&ctx, icert ? icert : c, c, NULL, NULL, 0);
    for (i = 0; exts != NULL && exts[i] != NULL && exts[i + 1] != NULL; i += 2) {
        X509_EXTENSION *e = X509V3_EXT_conf(NULL, &ctx, exts[i], exts[i + 1]);
        if (e == NULL || !X509_add_ext(c, e, -1)) {
            fprintf(stderr, "tu_cert: extension %s = %s\n", exts[i], exts[i + 1]);
            abort();
        }
        X509_EXTENSION_free(e);
    }
    if (X509_sign(c, ikey ? ikey : key, EVP_sha256()) <= 0)
        abort();
    X509_NAME_free(n);
    return c;
}
