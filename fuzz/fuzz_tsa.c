/*
 * fuzz_tsa.c - libFuzzer target for the time-stamping authority
 * (lib/pki/tsa.c: pki_tsa on the raw bytes of an RFC 3161 §2.4.1
 * TimeStampReq, as the body of a POST /tsa brings them).
 *
 * What must hold: pki_tsa never fails (a request it cannot grant gets a
 * rejection, RFC 3161 §2.4.2), never crashes, leaks or hangs; its answer
 * is exactly one DER TimeStampResp; a token is granted only to an input
 * that is exactly one DER TimeStampReq, and a granted token verifies
 * (OpenSSL's TS_RESP_verify_response: the signature and the TSA's chain
 * up to this CA's root with the time-stamping purpose, the version, the
 * message imprint, the nonce and the policy the request named).
 *
 * A CA home is made once per process, in a temporary directory removed
 * at exit.
 *
 * Build:
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib fuzz/fuzz_tsa.c \
 *     lib/pki/[a-z]*.c lib/ca/[a-z]*.c lib/store/[a-z]*.c lib/keystore/[a-z]*.c \
 *     lib/audit/[a-z]*.c lib/conf/[a-z]*.c lib/util/[a-z]*.c \
 *     $(pkg-config --cflags --libs libp11 sqlite3 jansson) -lcrypto -lsodium -o /tmp/fuzz_tsa
 *   /tmp/fuzz_tsa -max_len=4096 fuzz/corpus/tsa
 */
#include <openssl/err.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca/ca.h"
#include "pki/pki.h"
#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char home_dir[4096];
static pki *svc;
static X509 *root, *issuing, *tsa;

static void cleanup(void)
{
    pki_close(svc);
    svc = NULL;
    X509_free(root);
    X509_free(issuing);
    X509_free(tsa);
    if (home_dir[0])
        fs_rmtree(home_dir);
}

static void setup(void)
{
    char tmpl[] = "/tmp/sertel-fuzz-tsa-XXXXXX", home[4200];
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
    if (ca_init(&o, &err) != SERTEL_OK || pki_open(home, &svc, &err) != SERTEL_OK ||
        pki_authority_cert(svc, "root", &root, &err) != SERTEL_OK ||
        pki_authority_cert(svc, "issuing", &issuing, &err) != SERTEL_OK ||
        pki_authority_cert(svc, "tsa", &tsa, &err) != SERTEL_OK) {
        fprintf(stderr, "fuzz_tsa: cannot make a CA home: %s\n", err.msg);
        abort();
    }
    atexit(cleanup);
}

/* 1 when resp (a granted TimeStampResp) verifies as the answer to req. */
static int token_verifies(TS_REQ *req, TS_RESP *resp)
{
    TS_VERIFY_CTX *vc = TS_REQ_to_TS_VERIFY_CTX(req, NULL);
    X509_STORE *st = X509_STORE_new();
    STACK_OF(X509) *certs = sk_X509_new_null();
    int ok = 0;

    if (vc == NULL || st == NULL || certs == NULL || !X509_STORE_add_cert(st, root) ||
        !X509_up_ref(issuing) || !sk_X509_push(certs, issuing))
        goto out;
    if (!X509_up_ref(tsa) || !sk_X509_push(certs, tsa)) {
        X509_free(tsa);
        goto out;
    }
    TS_VERIFY_CTX_add_flags(vc, TS_VFY_SIGNATURE);
    TS_VERIFY_CTX_set_store(vc, st);
    st = NULL;
    TS_VERIFY_CTX_set_certs(vc, certs);
    certs = NULL;
    ok = TS_RESP_verify_response(vc, resp) == 1;
out:
    X509_STORE_free(st);
    sk_X509_pop_free(certs, X509_free);
    TS_VERIFY_CTX_free(vc);
    ERR_clear_error();
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned char *p = data;
    pki_blob b = {0};
    sertel_err err = {0};
    TS_REQ *req;
    TS_RESP *resp;
    long status;

    if (svc == NULL)
        setup();
    if (size > 65536)
        return 0;
    req = d2i_TS_REQ(NULL, &p, (long)size);
    if (req != NULL && p != data + size) { /* trailing bytes: not one TimeStampReq */
        TS_REQ_free(req);
        req = NULL;
    }
    if (pki_tsa(svc, data, size, &b, &err) != SERTEL_OK || b.data == NULL || b.len == 0 ||
        strcmp(b.content_type, "application/timestamp-reply") != 0)
        abort(); /* a request it cannot grant is answered with a rejection */
    p = b.data;
    resp = d2i_TS_RESP(NULL, &p, (long)b.len);
    if (resp == NULL || p != b.data + b.len)
        abort();
    status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp)));
    if (status <= TS_STATUS_GRANTED_WITH_MODS) {
        if (req == NULL)
            abort(); /* granted to something that is not one TimeStampReq */
        if (!token_verifies(req, resp))
            abort();
    } else if (TS_RESP_get_token(resp) != NULL) {
        abort(); /* a rejection carries no token */
    }
    TS_RESP_free(resp);
    TS_REQ_free(req);
    pki_blob_clear(&b);
    ERR_clear_error();
    return 0;
}
