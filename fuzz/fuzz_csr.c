/*
 * fuzz_csr.c - libFuzzer target for certificate issuance from a PKCS#10
 * request (lib/ca/issue.c: ca_issue_csr, with the profile builder and the
 * linter behind it).
 *
 * A request whose signature does not verify stops at the first check, so
 * the target re-signs what it can parse: an input that decodes as a
 * PKCS#10 request gets a fixed P-256 key and a fresh self-signature before
 * it is issued, which takes the hostile subject names, attributes and
 * extensions through the whole issuance path. The raw input is tried as it
 * is too (PEM and DER parsing, the refusals). Issuance must never crash,
 * leak or hang; a certificate it hands out must verify with the issuing
 * CA's key and carry the request's public key.
 *
 * A CA home is made once, in a temporary directory removed at exit.
 *
 * Build:
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib fuzz/fuzz_csr.c \
 *     lib/ca/[a-z]*.c lib/store/[a-z]*.c lib/keystore/[a-z]*.c lib/audit/[a-z]*.c \
 *     lib/conf/[a-z]*.c lib/util/[a-z]*.c \
 *     $(pkg-config --cflags --libs libp11 sqlite3 jansson) -lcrypto -lsodium -o /tmp/fuzz_csr
 *   /tmp/fuzz_csr -max_total_time=60 -max_len=8192 fuzz/corpus/csr
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca/ca.h"
#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char home_dir[4096];
static ca_ctx *ca;
static EVP_PKEY *key;

static void cleanup(void)
{
    ca_close(ca);
    ca = NULL;
    EVP_PKEY_free(key);
    if (home_dir[0])
        fs_rmtree(home_dir);
}

static void setup(void)
{
    char tmpl[] = "/tmp/sertel-fuzz-csr-XXXXXX", home[4200];
    ca_init_opts o;
    sertel_err err = {0};

    if (mkdtemp(tmpl) == NULL)
        abort();
    snprintf(home_dir, sizeof(home_dir), "%s", tmpl);
    snprintf(home, sizeof(home), "%s/home", home_dir);
    memset(&o, 0, sizeof(o));
    o.home = home;
    o.org = "Kementerian Uji";
    o.key_type = KS_KEY_EC_P256;
    o.admin_email = "admin@uji.go.id";
    o.admin_name = "Admin";
    o.admin_password = "kata sandi yang panjang";
    if (ca_init(&o, &err) != SERTEL_OK || ca_open(home, 0, &ca, &err) != SERTEL_OK) {
        fprintf(stderr, "fuzz_csr: cannot make a CA home: %s\n", err.msg);
        abort();
    }
    key = EVP_EC_gen("P-256");
    if (key == NULL)
        abort();
    atexit(cleanup);
}

/* Issue der (len bytes); a certificate handed out must verify and carry the request's key. */
static void issue(const unsigned char *der, size_t len, EVP_PKEY *want)
{
    sertel_err err = {0};
    X509 *x = NULL;
    ks_key *ik = NULL;

    if (ca_issue_csr(ca, der, len, "document-signing", "fuzz", &x, &err) != SERTEL_OK) {
        if (x != NULL || err.msg[0] == '\0')
            abort(); /* a refusal hands out nothing and says why */
        return;
    }
    if (x == NULL || ca_authority_key(ca, "issuing", &ik, &err) != SERTEL_OK ||
        X509_verify(x, ks_key_get0_pkey(ik)) != 1 ||
        (want != NULL && EVP_PKEY_eq(X509_get0_pubkey(x), want) != 1))
        abort();
    X509_free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned char *p = data;
    X509_REQ *req;
    unsigned char *der = NULL;
    int n;

    if (ca == NULL)
        setup();
    if (size > 65536)
        return 0;
    issue(data, size, NULL);
    req = d2i_X509_REQ(NULL, &p, (long)size);
    if (req == NULL)
        return 0;
    /* The same request, signed properly with a key of ours. */
    if (X509_REQ_set_pubkey(req, key) && X509_REQ_sign(req, key, EVP_sha256()) > 0 &&
        (n = i2d_X509_REQ(req, &der)) > 0)
        issue(der, (size_t)n, key);
    OPENSSL_free(der);
    X509_REQ_free(req);
    return 0;
}
