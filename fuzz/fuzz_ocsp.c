/*
 * fuzz_ocsp.c - libFuzzer target for the OCSP responder (lib/pki/ocsp.c:
 * pki_ocsp on the raw bytes of a request, RFC 6960 §4.1, as a POST body
 * or a decoded GET path brings them).
 *
 * Hostile requests mostly stop at the parser or at "unauthorized" (a
 * CertID naming another CA), so the target also re-aims what it can
 * parse: an input that decodes as an OCSPRequest is rebuilt with every
 * CertID's issuer hashes replaced by this CA's (same hash algorithm when
 * it is SHA-1/256/384/512, the input's serial number kept; serials 1 and
 * 2 become a certificate of this CA that is good and one that is
 * revoked), its extensions (nonce...) kept. That takes hostile serials and
 * extensions through the database lookup, the signing and the cache.
 *
 * What must hold: pki_ocsp never fails (protocol errors are answered in
 * the protocol), never crashes, leaks or hangs; its answer is exactly one
 * DER OCSPResponse; a successful one verifies with the OCSP-signing
 * certificate, answers every CertID of the request, echoes a nonce, and
 * for the re-aimed request gives good for the good certificate and
 * revoked for the revoked one.
 *
 * A CA home is made once per process, in a temporary directory removed
 * at exit.
 *
 * Build:
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib fuzz/fuzz_ocsp.c \
 *     lib/pki/[a-z]*.c lib/ca/[a-z]*.c lib/store/[a-z]*.c lib/keystore/[a-z]*.c \
 *     lib/audit/[a-z]*.c lib/conf/[a-z]*.c lib/util/[a-z]*.c \
 *     $(pkg-config --cflags --libs libp11 sqlite3 jansson) -lcrypto -lsodium -o /tmp/fuzz_ocsp
 *   /tmp/fuzz_ocsp -max_len=4096 fuzz/corpus/ocsp
 */
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
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
static X509 *issuing, *ocsp_cert;
static ASN1_INTEGER *good_sn, *revoked_sn;
static STACK_OF(X509) * signers;

static void cleanup(void)
{
    pki_close(svc);
    svc = NULL;
    X509_free(issuing);
    sk_X509_pop_free(signers, X509_free);
    ASN1_INTEGER_free(good_sn);
    ASN1_INTEGER_free(revoked_sn);
    if (home_dir[0])
        fs_rmtree(home_dir);
}

/* Issue a certificate for a fresh key; its serial into *sn, its hex into hex. */
static void issue(ca_ctx *ca, const char *cn, ASN1_INTEGER **sn, char *hex, size_t cap)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    ca_issue_req r;
    X509 *x = NULL;
    BIGNUM *bn = NULL;
    char *h = NULL;
    sertel_err err = {0};

    memset(&r, 0, sizeof(r));
    r.profile = "document-signing";
    r.pubkey = k;
    r.subject.org = "Kementerian Uji";
    r.subject.name = cn;
    r.subject.email = "uji@uji.go.id";
    r.actor = "fuzz";
    if (k == NULL || ca_issue(ca, &r, &x, &err) != SERTEL_OK) {
        fprintf(stderr, "fuzz_ocsp: cannot issue: %s\n", err.msg);
        abort();
    }
    *sn = ASN1_INTEGER_dup(X509_get0_serialNumber(x));
    bn = ASN1_INTEGER_to_BN(*sn, NULL);
    h = bn != NULL ? BN_bn2hex(bn) : NULL;
    if (*sn == NULL || h == NULL)
        abort();
    snprintf(hex, cap, "%s", h);
    OPENSSL_free(h);
    BN_free(bn);
    X509_free(x);
    EVP_PKEY_free(k);
}

static void setup(void)
{
    char tmpl[] = "/tmp/sertel-fuzz-ocsp-XXXXXX", home[4200], good[80], revoked[80];
    ca_init_opts o;
    ca_ctx *ca = NULL;
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
        fprintf(stderr, "fuzz_ocsp: cannot make a CA home: %s\n", err.msg);
        abort();
    }
    issue(ca, "Baik", &good_sn, good, sizeof(good));
    issue(ca, "Dicabut", &revoked_sn, revoked, sizeof(revoked));
    if (ca_revoke(ca, revoked, CA_REASON_KEY_COMPROMISE, "fuzz", &err) != SERTEL_OK) {
        fprintf(stderr, "fuzz_ocsp: cannot revoke: %s\n", err.msg);
        abort();
    }
    ca_close(ca);
    signers = sk_X509_new_null();
    if (pki_open(home, &svc, &err) != SERTEL_OK ||
        pki_authority_cert(svc, "issuing", &issuing, &err) != SERTEL_OK ||
        pki_authority_cert(svc, "ocsp", &ocsp_cert, &err) != SERTEL_OK || signers == NULL ||
        !sk_X509_push(signers, ocsp_cert)) {
        fprintf(stderr, "fuzz_ocsp: cannot open the services: %s\n", err.msg);
        abort();
    }
    atexit(cleanup);
}

/* The request with every CertID aimed at this CA (see the top); NULL when it cannot be built. */
static OCSP_REQUEST *reaim(const OCSP_REQUEST *in)
{
    OCSP_REQUEST *out = OCSP_REQUEST_new();
    int i, n = OCSP_request_onereq_count((OCSP_REQUEST *)in);

    for (i = 0; out != NULL && i < n; i++) {
        OCSP_CERTID *cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0((OCSP_REQUEST *)in, i)),
                    *nid = NULL;
        ASN1_OBJECT *alg = NULL;
        ASN1_INTEGER *sn = NULL;
        const EVP_MD *md = NULL;
        long v;

        OCSP_id_get0_info(NULL, &alg, NULL, &sn, cid);
        switch (alg != NULL ? OBJ_obj2nid(alg) : NID_undef) {
        case NID_sha256:
            md = EVP_sha256();
            break;
        case NID_sha384:
            md = EVP_sha384();
            break;
        case NID_sha512:
            md = EVP_sha512();
            break;
        default:
            md = EVP_sha1();
        }
        v = sn != NULL ? ASN1_INTEGER_get(sn) : 0;
        if (v == 1)
            sn = good_sn;
        else if (v == 2)
            sn = revoked_sn;
        if (sn == NULL ||
            (nid = OCSP_cert_id_new(md, X509_get_subject_name(issuing),
                                    X509_get0_pubkey_bitstr(issuing), sn)) == NULL ||
            OCSP_request_add0_id(out, nid) == NULL) {
            OCSP_CERTID_free(nid);
            OCSP_REQUEST_free(out);
            out = NULL;
        }
    }
    for (i = 0; out != NULL && i < OCSP_REQUEST_get_ext_count((OCSP_REQUEST *)in); i++)
        if (!OCSP_REQUEST_add_ext(out, OCSP_REQUEST_get_ext((OCSP_REQUEST *)in, i), -1)) {
            OCSP_REQUEST_free(out);
            out = NULL;
        }
    ERR_clear_error();
    return out;
}

/* Answer der; req (may be NULL) is what it parses to, reaimed whether it was re-aimed. */
static void answer(const unsigned char *der, size_t len, OCSP_REQUEST *req, int reaimed)
{
    pki_blob b = {0};
    sertel_err err = {0};
    const unsigned char *p;
    OCSP_RESPONSE *r = NULL;
    OCSP_BASICRESP *bs = NULL;
    int i, n;

    if (pki_ocsp(svc, der, len, &b, &err) != SERTEL_OK || b.data == NULL || b.len == 0)
        abort(); /* protocol errors are answered, never a failed call */
    p = b.data;
    r = d2i_OCSP_RESPONSE(NULL, &p, (long)b.len);
    if (r == NULL || p != b.data + b.len || strcmp(b.content_type, "application/ocsp-response"))
        abort();
    if (OCSP_response_status(r) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
        goto out;
    bs = OCSP_response_get1_basic(r);
    if (bs == NULL || req == NULL ||
        OCSP_basic_verify(bs, signers, NULL, OCSP_NOVERIFY | OCSP_TRUSTOTHER | OCSP_NOINTERN) != 1)
        abort(); /* a successful answer is signed, and only to a request that parses */
    n = OCSP_request_onereq_count(req);
    for (i = 0; i < n; i++) {
        OCSP_CERTID *cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
        ASN1_INTEGER *sn = NULL;
        int st = -1, reason = -1;

        if (OCSP_resp_find_status(bs, cid, &st, &reason, NULL, NULL, NULL) != 1)
            abort(); /* every CertID is answered */
        OCSP_id_get0_info(NULL, NULL, NULL, &sn, cid);
        if (reaimed && sn != NULL && ASN1_INTEGER_cmp(sn, good_sn) == 0 &&
            st != V_OCSP_CERTSTATUS_GOOD)
            abort();
        if (reaimed && sn != NULL && ASN1_INTEGER_cmp(sn, revoked_sn) == 0 &&
            (st != V_OCSP_CERTSTATUS_REVOKED || reason != OCSP_REVOKED_STATUS_KEYCOMPROMISE))
            abort();
    }
    if (OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1) >= 0 &&
        OCSP_check_nonce(req, bs) != 1)
        abort(); /* a nonce is echoed */
out:
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(r);
    pki_blob_clear(&b);
    ERR_clear_error();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned char *p = data;
    OCSP_REQUEST *req, *re = NULL;
    unsigned char *der = NULL;
    int n;

    if (svc == NULL)
        setup();
    if (size > 65536)
        return 0;
    req = d2i_OCSP_REQUEST(NULL, &p, (long)size);
    if (req != NULL && p != data + size) { /* trailing bytes: the responder refuses it */
        OCSP_REQUEST_free(req);
        req = NULL;
    }
    answer(data, size, req, 0);
    if (req != NULL && (re = reaim(req)) != NULL && (n = i2d_OCSP_REQUEST(re, &der)) > 0)
        answer(der, (size_t)n, re, 1);
    OPENSSL_free(der);
    OCSP_REQUEST_free(re);
    OCSP_REQUEST_free(req);
    ERR_clear_error();
    return 0;
}
