/*
 * verify_trust.c - trust lists for the validator (verify --trust-list,
 * docs/trust.md): a JSON file (RFC 8259) of trust anchors, each a
 * certificate (PEM inline or a file) with attributes, one of them whether
 * the CA is a certified Indonesian electronic certification provider
 * (Penyelenggara Sertifikasi Elektronik Indonesia, PP 71/2019 art. 59-60:
 * a certified electronic signature uses its certificate), reported as
 * "tersertifikasi" / `certified`. The list is read by the caller, never by
 * the sandboxed worker: the worker only reports which anchor a chain ends
 * at (its SHA-256), and the caller names it from the list.
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pdf/verify_int.h"
#include "util/hex.h"

#define TRUST_MAX_ENTRIES 1024
#define TRUST_FORMAT "sertel-trust-list/1"

void vfy_sig_set_anchor(vfy_sig *s, STACK_OF(X509) * chain)
{
    X509 *a = chain != NULL && sk_X509_num(chain) > 0 ? sk_X509_value(chain, sk_X509_num(chain) - 1)
                                                      : NULL;
    unsigned char md[32];
    unsigned int len = 0;

    s->anchor_sha256[0] = '\0';
    if (a != NULL && X509_digest(a, EVP_sha256(), md, &len) && len == 32)
        hex_encode(md, 32, s->anchor_sha256);
    ERR_clear_error();
}

void vfy_trust_list_free(vfy_trust_list *list)
{
    size_t i;

    if (list == NULL)
        return;
    for (i = 0; i < list->n; i++)
        X509_free(list->e[i].cert);
    free(list->e);
    list->e = NULL;
    list->n = 0;
}

/* The first certificate of a PEM text (len bytes), or NULL. */
static X509 *pem_cert(const char *pem, size_t len)
{
    BIO *b = len < INT32_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
    X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

    BIO_free(b);
    ERR_clear_error();
    return x;
}

/* The certificate file name, relative to the list's directory dir. */
static X509 *file_cert(const char *dir, const char *name, sertel_err *err)
{
    char path[4096];
    BIO *b;
    X509 *x;

    if (name[0] == '/')
        snprintf(path, sizeof(path), "%s", name);
    else if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
        sertel_err_set(err, SERTEL_ERR_INVALID, "the path %.200s is too long", name);
        return NULL;
    }
    b = BIO_new_file(path, "r");
    if (b == NULL) {
        ERR_clear_error();
        sertel_err_set(err, SERTEL_ERR_IO, "cannot read %.300s", path);
        return NULL;
    }
    x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    ERR_clear_error();
    if (x == NULL)
        sertel_err_set(err, SERTEL_ERR_INVALID, "%.300s holds no PEM certificate", path);
    return x;
}

/* A fingerprint as written (hex, any case, ':' allowed) into 64 lower-case hex digits. */
static int norm_fp(const char *in, char out[65])
{
    size_t i, j = 0;

    for (i = 0; in[i] != '\0'; i++) {
        char c = in[i];
        if (c == ':' || c == ' ')
            continue;
        if (hex_value((unsigned char)c) < 0 || j >= 64)
            return -1;
        out[j++] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
    out[j] = '\0';
    return j == 64 ? 0 : -1;
}

static int load_entry(const json_t *o, size_t idx, const char *dir, vfy_trust_entry *e,
                      sertel_err *err)
{
    const char *key, *name = NULL, *pem = NULL, *file = NULL, *fp = NULL;
    json_t *v;
    unsigned char md[32];
    unsigned int len = 0;
    char want[65];

    memset(e, 0, sizeof(*e));
    if (!json_is_object(o))
        return sertel_err_set(err, SERTEL_ERR_INVALID, "entry %zu is not an object", idx + 1);
    json_object_foreach((json_t *)o, key, v)
    {
        if (strcmp(key, "name") == 0 && json_is_string(v))
            name = json_string_value(v);
        else if (strcmp(key, "certificate") == 0 && json_is_string(v))
            pem = json_string_value(v);
        else if (strcmp(key, "certificate_file") == 0 && json_is_string(v))
            file = json_string_value(v);
        else if (strcmp(key, "sha256") == 0 && json_is_string(v))
            fp = json_string_value(v);
        else if (strcmp(key, "certified") == 0 && json_is_boolean(v))
            e->certified = json_is_true(v);
        else if (strcmp(key, "note") == 0 && json_is_string(v))
            ; /* for people */
        else
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "entry %zu: unknown key or wrong type: %.60s (known: name, "
                                  "certificate, certificate_file, sha256, certified, note)",
                                  idx + 1, key);
    }
    if ((pem == NULL) == (file == NULL))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "entry %zu needs exactly one of certificate (PEM) and "
                              "certificate_file",
                              idx + 1);
    e->cert = pem != NULL ? pem_cert(pem, strlen(pem)) : file_cert(dir, file, err);
    if (e->cert == NULL) {
        if (pem != NULL)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "entry %zu: certificate holds no PEM certificate", idx + 1);
        sertel_err_prefix(err, "entry %zu", idx + 1);
        return err->code;
    }
    if (!X509_digest(e->cert, EVP_sha256(), md, &len) || len != 32) {
        ERR_clear_error();
        return sertel_err_set(err, SERTEL_ERR_CRYPTO, "entry %zu: cannot hash the certificate",
                              idx + 1);
    }
    hex_encode(md, 32, e->sha256);
    if (fp != NULL && (norm_fp(fp, want) != 0 || strcmp(want, e->sha256) != 0))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "entry %zu: the certificate's SHA-256 is %s, not the sha256 the "
                              "list gives (%.100s)",
                              idx + 1, e->sha256, fp);
    if (name != NULL && name[0] != '\0') {
        snprintf(e->name, sizeof(e->name), "%s", name);
    } else {
        X509_NAME *sn = X509_get_subject_name(e->cert);
        int i = X509_NAME_get_index_by_NID(sn, NID_commonName, -1);
        unsigned char *u = NULL;
        int l = i >= 0
                    ? ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(sn, i)))
                    : -1;
        if (l > 0)
            snprintf(e->name, sizeof(e->name), "%.*s", l, (const char *)u);
        OPENSSL_free(u);
    }
    return SERTEL_OK;
}

int vfy_trust_list_load(const char *path, vfy_trust_list *list, STACK_OF(X509) * anchors,
                        sertel_err *err)
{
    struct stat st;
    json_t *root = NULL, *entries;
    json_error_t je;
    vfy_trust_entry *ne = NULL;
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n, i, done = 0;
    int rc = SERTEL_OK;

    if (stat(path, &st) != 0)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot read the trust list %s: %s", path,
                              strerror(errno));
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > VFY_TRUST_LIST_MAX)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the trust list %s is not a regular file of at most %u bytes", path,
                              VFY_TRUST_LIST_MAX);
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path) ? (int)(slash - path) : 1, path);
    root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the trust list %s is not JSON: %s (line %d)", path, je.text,
                              je.line);
    if (!json_is_object(root) || !json_is_string(json_object_get(root, "format")) ||
        strcmp(json_string_value(json_object_get(root, "format")), TRUST_FORMAT) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "the trust list %s: \"format\" must be \"" TRUST_FORMAT "\"", path);
        goto out;
    }
    entries = json_object_get(root, "entries");
    if (!json_is_array(entries) || (n = json_array_size(entries)) == 0 || n > TRUST_MAX_ENTRIES ||
        list->n + n > TRUST_MAX_ENTRIES) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "the trust list %s: \"entries\" must be an array of 1 to %d entries",
                            path, TRUST_MAX_ENTRIES);
        goto out;
    }
    ne = calloc(n, sizeof(*ne));
    if (ne == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < n; i++, done++)
        if ((rc = load_entry(json_array_get(entries, i), i, dir, &ne[i], err)) != SERTEL_OK) {
            X509_free(ne[i].cert);
            ne[i].cert = NULL;
            sertel_err_prefix(err, "the trust list %s", path);
            goto out;
        }
    {
        vfy_trust_entry *grown = realloc(list->e, (list->n + n) * sizeof(*grown));
        if (grown == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
            goto out;
        }
        list->e = grown;
    }
    for (i = 0; i < n; i++) {
        if (anchors != NULL && X509_up_ref(ne[i].cert) && !sk_X509_push(anchors, ne[i].cert))
            X509_free(ne[i].cert);
        list->e[list->n++] = ne[i];
    }
    done = 0;
out:
    for (i = 0; ne != NULL && i < done; i++)
        X509_free(ne[i].cert);
    free(ne);
    json_decref(root);
    return rc;
}

void vfy_report_apply_trust(vfy_report *r, const vfy_trust_list *list)
{
    size_t i, k;

    for (i = 0; i < r->n_sigs; i++) {
        vfy_sig *s = &r->sigs[i];
        s->anchor_name[0] = '\0';
        s->anchor_certified = 0;
        for (k = 0; s->anchor_sha256[0] != '\0' && k < list->n; k++)
            if (strcmp(list->e[k].sha256, s->anchor_sha256) == 0) {
                snprintf(s->anchor_name, sizeof(s->anchor_name), "%s", list->e[k].name);
                s->anchor_certified =
                    list->e[k].certified && strcmp(s->certificate_status, "valid") == 0;
                break;
            }
    }
}
