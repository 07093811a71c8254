/*
 * init.c - creating a CA home (`sertel init`).
 *
 * Everything is built in a temporary directory beside the home and renamed
 * into place only when complete, so a failure at any step (a full disk, a
 * token error, a lint failure) leaves nothing behind: the temporary
 * directory is removed and keys already generated in a PKCS#11 token are
 * destroyed again.
 *
 * Validity periods: root 20 years, issuing CA 10 years (RFC 5280 leaves
 * them to policy; these are the and BSrE's choices), OCSP-signing
 * and time-stamping certificates from their profiles.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sodium.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ca/ca_int.h"
#include "audit/events.h"
#include "util/dynbuf.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/text.h"

static const char *const authority_labels[] = {"root", "issuing", "ocsp", "tsa", "audit"};
#define N_AUTHORITIES (sizeof(authority_labels) / sizeof(authority_labels[0]))

/* The configuration a new home starts with. %s: org, base_url, key type,
 * keystore section, the TOTP issuer (the org), mail from, the TSA policy
 * OID, policy OID and base URL (x2 for the two subscriber-facing profiles). */
static const char conf_template[] =
    "# sertel.conf - configuration of this sertel home.\n"
    "# Paths are relative to the home directory. Profiles are data: edit them\n"
    "# here; every certificate is linted against its profile before signing.\n"
    "\n"
    "[ca]\n"
    "org = %s\n"
    "base_url = %s\n"
    "key_type = %s\n"
    "\n"
    "[store]\n"
    "database = sertel.db\n"
    "\n"
    "[keystore]\n"
    "%s"
    "\n"
    "[audit]\n"
    "head_file = audit.head\n"
    "\n"
    "# Registration authority (sertel register / apply / review ...).\n"
    "[ra]\n"
    "upload_max = 5242880\n"
    "upload_expand_max = 67108864\n"
    "upload_expand_total = 536870912\n"
    "token_ttl_hours = 24\n"
    "renewal_window_days = 30\n"
    "secret_file = private/subscriber.secret\n"
    "uploads = uploads\n"
    "\n"
    "# Unlocking an owner's key to sign. PP 71/2019 art. 63-64: when the\n"
    "# provider holds the key, two factors: the passphrase and a one-time code\n"
    "# (second_factor = email or totp). argon2_*: the passphrase's key\n"
    "# derivation (at least 19456 KiB and 2 passes).\n"
    "[signing]\n"
    "second_factor = email\n"
    "argon2_memory_kib = 65536\n"
    "argon2_passes = 3\n"
    "key_type = ec-p256\n"
    "lockout_after = 5\n"
    "lockout_hard_after = 10\n"
    "lockout_minutes = 30\n"
    "# The issuer authenticator apps show next to the owner's codes.\n"
    "totp_issuer = %s\n"
    "\n"
    "# Outgoing mail: written to the outbox directory unless smtp_url is set.\n"
    "[mail]\n"
    "from = %s\n"
    "outbox = outbox\n"
    "# smtp_url = smtp://mail.example.go.id:587\n"
    "# smtp_user = sertel\n"
    "# smtp_password_file = private/smtp.password\n"
    "\n"
    "# The time-stamping authority. policy_oid: the TSA policy its tokens name\n"
    "# (RFC 3161 2.4.2); 2.999.x is an example arc: set the agency's own.\n"
    "[tsa]\n"
    "policy_oid = %s\n"
    "\n"
    "[profile root-ca]\n"
    "validity_days = 7305\n"
    "ca = true\n"
    "key_usage = keyCertSign, cRLSign\n"
    "subject_required = C, O, CN\n"
    "country = ID\n"
    "\n"
    "[profile issuing-ca]\n"
    "validity_days = 3653\n"
    "ca = true\n"
    "path_len = 0\n"
    "key_usage = keyCertSign, cRLSign\n"
    "subject_required = C, O, CN\n"
    "country = ID\n"
    "crl_dp = true\n"
    "\n"
    "[profile ocsp-signing]\n"
    "validity_days = 730\n"
    "key_usage = digitalSignature\n"
    "extended_key_usage = OCSPSigning\n"
    "ocsp_nocheck = true\n"
    "subject_required = C, O, CN\n"
    "country = ID\n"
    "\n"
    "[profile time-stamping]\n"
    "validity_days = 1826\n"
    "key_usage = digitalSignature, nonRepudiation\n"
    "extended_key_usage = timeStamping\n"
    "eku_critical = true\n"
    "subject_required = C, O, CN\n"
    "country = ID\n"
    "aia = true\n"
    "crl_dp = true\n"
    "\n"
    "# Subscriber certificates for signing documents (BSrE-style: 2 years,\n"
    "# CN = full name, O = agency, OU = work unit, e-mail in subjectAltName).\n"
    "# policy_oid: the certificate policy (2.999.x is an example arc: set the\n"
    "# OID registered for the agency's CP/CPS).\n"
    "[profile document-signing]\n"
    "validity_days = 730\n"
    "key_usage = digitalSignature, nonRepudiation\n"
    "key_usage_critical = true\n"
    "extended_key_usage = 1.3.6.1.5.5.7.3.36, emailProtection\n"
    "subject_required = C, O, CN\n"
    "subject_optional = OU\n"
    "country = ID\n"
    "san_email = required\n"
    "policy_oid = %s\n"
    "cps_uri = %s/cps\n"
    "aia = true\n"
    "crl_dp = true\n"
    "key_types = ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096\n"
    "\n"
    "# Electronic seals of an agency or work unit (BSrE's seal: CN = the\n"
    "# organisation's name, no person), for documents the organisation issues.\n"
    "# emailProtection too: NSS (poppler, Firefox) checks signing certificates\n"
    "# for that purpose.\n"
    "[profile organisation-seal]\n"
    "validity_days = 730\n"
    "key_usage = digitalSignature, nonRepudiation\n"
    "key_usage_critical = true\n"
    "extended_key_usage = 1.3.6.1.5.5.7.3.36, emailProtection\n"
    "subject_required = C, O, CN\n"
    "subject_optional = OU\n"
    "country = ID\n"
    "san_email = optional\n"
    "policy_oid = %s\n"
    "cps_uri = %s/cps\n"
    "aia = true\n"
    "crl_dp = true\n"
    "key_types = ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096\n";

/* The directory does not exist, or exists and is empty (ca_int.h). */
int ca_home_check_free(const char *home, sertel_err *err)
{
    struct stat st;
    char probe[PATH_MAX];

    if (lstat(home, &st) != 0) {
        if (errno == ENOENT)
            return SERTEL_OK;
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot inspect %s: %s", home, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode))
        return sertel_err_set(err, SERTEL_ERR_EXISTS,
                              "%s exists and is not a directory: choose another --home", home);
    if (fs_path_join(probe, sizeof(probe), home, "sertel.conf", err) != SERTEL_OK)
        return SERTEL_ERR_INVALID;
    if (fs_exists(probe))
        return sertel_err_set(err, SERTEL_ERR_EXISTS,
                              "%s is already a sertel home: refusing to overwrite it (nothing "
                              "was changed); use another --home, or remove it first",
                              home);
    if (rmdir(home) == 0) {
        /* It was empty; we take its place at the end. Recreate so a failure
         * leaves things as they were. */
        if (mkdir(home, st.st_mode & 07777) != 0)
            return sertel_err_set(err, SERTEL_ERR_IO, "cannot recreate %s: %s", home,
                                  strerror(errno));
        return SERTEL_OK;
    }
    return sertel_err_set(err, SERTEL_ERR_EXISTS,
                          "%s exists and is not empty: refusing to use it (nothing was "
                          "changed); give a new or empty directory",
                          home);
}

static int write_pem_cert(const char *dir, const char *name, X509 *x, sertel_err *err)
{
    char path[PATH_MAX];
    BIO *b = BIO_new(BIO_s_mem());
    BUF_MEM *bm;
    int rc;

    if (b == NULL || !PEM_write_bio_X509(b, x)) {
        BIO_free(b);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    BIO_get_mem_ptr(b, &bm);
    if ((size_t)snprintf(path, sizeof(path), "%s/certs/%s.pem", dir, name) >= sizeof(path))
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "path too long under %s", dir);
    else
        rc = fs_create_excl(path, bm->data, bm->length, 0644, err);
    BIO_free(b);
    return rc;
}

static int record_authority(store *st, audit *a, const char *name, ks_keytype kt,
                            const char *serial, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    rc = store_prepare(st,
                       "INSERT INTO authorities (name, key_label, key_type, cert_serial, "
                       "created_at) VALUES (?, ?, ?, ?, ?)",
                       &s, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 1, name, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 2, name, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 3, ks_keytype_name(kt), err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 4, serial, err);
    if (rc == SERTEL_OK)
        rc = store_bind_int64(s, 5, (int64_t)time(NULL), err);
    if (rc == SERTEL_OK)
        rc = store_run(s, err);
    store_finalize(s);
    if (rc == SERTEL_OK)
        rc = audit_append_json(a, "system", AUDIT_KEY_CREATED, name,
                               json_pack("{s:s}", "key_type", ks_keytype_name(kt)), NULL, err);
    return rc;
}

/*
 * cps.html: the CP/CPS document the certificates' cps_uri (<base URL>/cps)
 * points to, served by `sertel serve` from the home. A starting point in
 * Indonesian, in the outline of RFC 3647 §6, that the operator edits into
 * the agency's own policy; it says so at the top.
 */
static int write_cps(const char *dir, const char *org, const char *base_url, const char *policy,
                     sertel_err *err)
{
    static const char *const sections[] = {
        "<h2>1. Pengenalan</h2>\n<p>Dokumen ini menjelaskan kebijakan sertifikat (CP) dan "
        "pernyataan praktik sertifikasi (CPS) penyelenggara sertifikasi elektronik ",
        /* org */
        " untuk sertifikat tanda tangan elektronik pegawai, sesuai PP 71/2019 dan Permenkominfo "
        "11/2022. Susunannya mengikuti RFC 3647.</p>\n"
        "<h2>2. Identifikasi</h2>\n<p>Kebijakan sertifikat: OID <code>",
        /* policy */
        "</code>. Alamat layanan: <code>",
        /* base_url */
        "</code>.</p>\n"
        "<h2>3. Pihak yang terlibat</h2>\n<ul>\n<li>Otoritas sertifikat (CA): menerbitkan dan "
        "mencabut sertifikat, menerbitkan CRL dan menjalankan OCSP.</li>\n<li>Verifikator "
        "instansi (otoritas pendaftaran): memeriksa identitas dan surat rekomendasi, menyetujui "
        "atau menolak setiap permohonan penerbitan, pembaruan, perubahan data dan "
        "pencabutan.</li>\n<li>Pemilik sertifikat: pegawai yang namanya tercantum dalam "
        "sertifikat.</li>\n<li>Pihak yang mengandalkan: siapa pun yang memeriksa tanda tangan "
        "elektronik.</li>\n</ul>\n"
        "<h2>4. Pendaftaran dan verifikasi identitas</h2>\n<p>Pemohon didaftarkan dengan nama, "
        "NIK, email dinas, unit kerja dan jabatan; mengonfirmasi email dinasnya; mengunggah "
        "surat rekomendasi dan e-KTP. Verifikator instansi memeriksa dan memutuskan.</p>\n"
        "<h2>5. Kunci dan passphrase</h2>\n<p>Kunci privat pemilik dibuat dan disimpan "
        "terenkripsi oleh penyelenggara, dan hanya dapat digunakan dengan passphrase yang dibuat "
        "sendiri oleh pemilik (serta faktor autentikasi kedua bila diwajibkan). Passphrase "
        "tidak dapat dipulihkan: bila lupa, ajukan pencabutan lalu permohonan baru.</p>\n"
        "<h2>6. Pencabutan dan penangguhan</h2>\n<p>Pemilik wajib mengajukan pencabutan bila "
        "kunci atau passphrase hilang atau diketahui orang lain, atau data dalam sertifikat "
        "berubah. Status sertifikat tersedia melalui OCSP (<code>",
        /* base_url */
        "/ocsp</code>) dan CRL (<code>",
        /* base_url */
        "/crl/issuing.crl</code>).</p>\n"
        "<h2>7. Kewajiban dan kontak</h2>\n<p>Lengkapi bagian ini: kewajiban para pihak, "
        "batas tanggung jawab, perlindungan data pribadi, serta alamat dan email yang dapat "
        "dihubungi.</p>\n",
    };
    const char *fill[] = {org, policy, base_url, base_url, base_url};
    char path[4096];
    dynbuf b;
    size_t i;
    int rc;

    dynbuf_init(&b, 64 * 1024);
    dynbuf_addstr(&b, "<!DOCTYPE html>\n<html lang=\"id\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<title>Kebijakan Sertifikat dan Pernyataan Praktik Sertifikasi - ");
    text_html_escape(&b, org);
    dynbuf_addstr(&b, "</title>\n</head>\n<body>\n<h1>Kebijakan Sertifikat dan Pernyataan "
                      "Praktik Sertifikasi (CP/CPS)</h1>\n<p><strong>");
    text_html_escape(&b, org);
    dynbuf_addstr(&b, "</strong></p>\n<p><em>Templat awal yang dibuat oleh sertel init: "
                      "sesuaikan isinya dengan kebijakan instansi Anda sebelum layanan "
                      "digunakan (berkas cps.html di direktori home).</em></p>\n");
    for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        dynbuf_addstr(&b, sections[i]);
        if (i < sizeof(fill) / sizeof(fill[0]))
            text_html_escape(&b, fill[i]);
    }
    rc = dynbuf_addstr(&b, "</body>\n</html>\n");
    if (rc != SERTEL_OK)
        rc = sertel_err_set(err, rc, "the CP/CPS document does not fit in 64 KiB");
    if (rc == SERTEL_OK)
        rc = fs_path_join(path, sizeof(path), dir, "cps.html", err);
    if (rc == SERTEL_OK)
        rc = fs_create_excl(path, b.p, b.len, 0644, err);
    dynbuf_free(&b);
    return rc;
}

static int init_home(const ca_init_opts *o, sertel_err *err)
{
    char tmp[PATH_MAX], path[PATH_MAX], parent[PATH_MAX], ksconf[1024], serial[41];
    char *conftext = NULL;
    conf *c = NULL;
    store *st = NULL;
    keystore *ks = NULL;
    audit *a = NULL;
    ks_key *keys[N_AUTHORITIES] = {0};
    int generated[N_AUTHORITIES] = {0};
    X509 *certs[4] = {0}; /* root, issuing, ocsp, tsa */
    unsigned char secret[32];
    char secret_hex[65];
    const char *base_url = o->base_url ? o->base_url : CA_DEFAULT_BASE_URL;
    const char *policy = o->policy_oid ? o->policy_oid : CA_DEFAULT_POLICY_OID;
    const char *tsa_policy = o->tsa_policy_oid ? o->tsa_policy_oid : CA_DEFAULT_TSA_POLICY_OID;
    const char *mail_from = o->mail_from ? o->mail_from : "sertel <noreply@localhost>";
    int rc, made_tmp = 0, pkcs11 = o->pkcs11_module != NULL;
    size_t i, n;
    time_t now = time(NULL);

    /* Validate everything before touching the disk. */
    if ((rc = text_check_field("the organisation (--org)", o->org, 64, err)) != SERTEL_OK ||
        (rc = ca_check_base_url(base_url, err)) != SERTEL_OK ||
        (rc = text_check_field("the admin e-mail", o->admin_email, 254, err)) != SERTEL_OK ||
        (rc = text_check_field("the admin name", o->admin_name, 64, err)) != SERTEL_OK ||
        (rc = text_check_field("the mail sender (--mail-from)", mail_from, 320, err)) != SERTEL_OK)
        return rc;
    if (strchr(o->admin_email, '@') == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "admin e-mail '%s' has no '@'",
                              o->admin_email);
    if (o->admin_password == NULL || strlen(o->admin_password) < 12)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the admin password must have at least 12 characters");
    if (ks_keytype_name(o->key_type) == NULL)
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED, "unsupported CA key type");
    for (i = 0; i < 2; i++) {
        const char *oid = i == 0 ? policy : tsa_policy;
        ASN1_OBJECT *ob = strlen(oid) < 128 ? OBJ_txt2obj(oid, 1) : NULL;
        ASN1_OBJECT_free(ob);
        if (ob == NULL)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "%s OID '%.130s' is not a dotted OID (such as 2.16.360.1.2.3)",
                                  i == 0 ? "the certificate policy" : "the TSA policy", oid);
    }
    if (pkcs11 && (o->pkcs11_token == NULL || o->pkcs11_pin == NULL))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "a PKCS#11 module needs --pkcs11-token and --pkcs11-pin-file");
    if (strlen(o->home) >= PATH_MAX - 64)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "home path too long");
    if ((rc = ca_home_check_free(o->home, err)) != SERTEL_OK)
        return rc;

    snprintf(path, sizeof(path), "%s", o->home);
    snprintf(parent, sizeof(parent), "%s", dirname(path));
    snprintf(path, sizeof(path), "%s", o->home);
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.init-XXXXXX", parent, basename(path)) >=
        sizeof(tmp))
        return sertel_err_set(err, SERTEL_ERR_INVALID, "home path too long");
    if (mkdtemp(tmp) == NULL)
        return sertel_err_set(err, SERTEL_ERR_IO,
                              "cannot create a directory in %s: %s (is the disk writable?)", parent,
                              strerror(errno));
    made_tmp = 1;
    if (chmod(tmp, 0700) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot set permissions on %s: %s", tmp,
                            strerror(errno));
        goto out;
    }
    if ((rc = fs_path_join(path, sizeof(path), tmp, "private", err)) != SERTEL_OK)
        goto out;
    if (mkdir(path, 0700) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot create %s: %s", path, strerror(errno));
        goto out;
    }
    if ((rc = fs_path_join(path, sizeof(path), tmp, "certs", err)) != SERTEL_OK)
        goto out;
    if (mkdir(path, 0755) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot create %s: %s", path, strerror(errno));
        goto out;
    }

    /* Keystore secret or PIN, then the configuration. */
    if (pkcs11) {
        if ((rc = fs_path_join(path, sizeof(path), tmp, "private/pkcs11.pin", err)) != SERTEL_OK)
            goto out;
        rc = fs_create_excl(path, o->pkcs11_pin, strlen(o->pkcs11_pin), 0600, err);
        snprintf(ksconf, sizeof(ksconf),
                 "backend = pkcs11\nmodule = %s\ntoken = %s\npin_file = private/pkcs11.pin\n",
                 o->pkcs11_module, o->pkcs11_token);
    } else {
        if (RAND_priv_bytes(secret, sizeof(secret)) != 1) {
            rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "the random generator failed");
            goto out;
        }
        hex_encode(secret, sizeof(secret), secret_hex);
        if ((rc = fs_path_join(path, sizeof(path), tmp, "private/master.key", err)) != SERTEL_OK)
            goto out;
        rc = fs_create_excl(path, secret_hex, 64, 0600, err);
        if (rc != SERTEL_OK)
            goto out;
        snprintf(ksconf, sizeof(ksconf),
                 "backend = software\ndirectory = keys\nsecret_file = private/master.key\n");
    }
    if (rc != SERTEL_OK)
        goto out;
    /* The server-held secret that, with each owner's passphrase, protects owners' keys. */
    {
        unsigned char sub[32];
        if (RAND_priv_bytes(sub, sizeof(sub)) != 1) {
            rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "the random generator failed");
            goto out;
        }
        if ((rc = fs_path_join(path, sizeof(path), tmp, "private/subscriber.secret", err)) ==
            SERTEL_OK)
            rc = fs_create_excl(path, sub, sizeof(sub), 0600, err);
        sodium_memzero(sub, sizeof(sub));
        if (rc != SERTEL_OK)
            goto out;
    }
    n = sizeof(conf_template) + 2 * strlen(o->org) + 3 * strlen(base_url) + strlen(ksconf) +
        2 * strlen(policy) + strlen(tsa_policy) + strlen(mail_from) + 64;
    conftext = malloc(n);
    if (conftext == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    snprintf(conftext, n, conf_template, o->org, base_url, ks_keytype_name(o->key_type), ksconf,
             o->org, mail_from, tsa_policy, policy, base_url, policy, base_url);
    rc = conf_parse(conftext, "sertel.conf", &c, err);
    if (rc != SERTEL_OK) {
        sertel_err_prefix(err, "the values given make an invalid configuration");
        goto out;
    }
    if ((rc = fs_path_join(path, sizeof(path), tmp, "sertel.conf", err)) != SERTEL_OK)
        goto out;
    if ((rc = fs_create_excl(path, conftext, strlen(conftext), 0644, err)) != SERTEL_OK)
        goto out;
    if ((rc = write_cps(tmp, o->org, base_url, policy, err)) != SERTEL_OK)
        goto out;

    /* Store. */
    if ((rc = fs_path_join(path, sizeof(path), tmp, "sertel.db", err)) != SERTEL_OK)
        goto out;
    if ((rc = store_open(path, STORE_OPEN_CREATE, &st, err)) != SERTEL_OK ||
        (rc = store_migrate(st, err)) != SERTEL_OK)
        goto out;

    /* Keys. */
    if (pkcs11) {
        rc = ks_open_pkcs11(o->pkcs11_module, o->pkcs11_token, o->pkcs11_pin, &ks, err);
    } else {
        if ((rc = fs_path_join(path, sizeof(path), tmp, "keys", err)) != SERTEL_OK)
            goto out;
        rc = ks_open_soft(path, (unsigned char *)secret_hex, 64, 1, &ks, err);
    }
    if (rc != SERTEL_OK)
        goto out;
    for (i = 0; i < N_AUTHORITIES; i++) {
        if (ks_exists(ks, authority_labels[i])) {
            rc = sertel_err_set(err, SERTEL_ERR_EXISTS,
                                "the key store already holds a key labelled '%s': use a fresh "
                                "token (or delete that key) so a new CA does not reuse old keys",
                                authority_labels[i]);
            goto out;
        }
    }
    for (i = 0; i < N_AUTHORITIES; i++) {
        rc = ks_generate(ks, authority_labels[i], o->key_type, &keys[i], err);
        if (rc != SERTEL_OK) {
            sertel_err_prefix(err, "generating the %s key", authority_labels[i]);
            goto out;
        }
        generated[i] = 1;
    }

    /* Certificates: root (self-signed), issuing (by root), OCSP and TSA (by issuing). */
    {
        static const char *const profiles[4] = {"root-ca", "issuing-ca", "ocsp-signing",
                                                "time-stamping"};
        static const char *const cns[4] = {"Root CA", "Issuing CA", "OCSP Responder",
                                           "Time-Stamping Authority"};
        char cn[256];
        ca_profile p;
        ca_signer sg;
        ca_subject subj;
        EVP_PKEY *pub;

        for (i = 0; i < 4; i++) {
            if ((rc = profile_load(c, profiles[i], &p, err)) != SERTEL_OK)
                goto out;
            snprintf(cn, sizeof(cn), "%s %s", o->org, cns[i]);
            if (strlen(cn) > 64)
                snprintf(cn, sizeof(cn), "sertel %s", cns[i]);
            memset(&subj, 0, sizeof(subj));
            subj.org = o->org;
            subj.name = cn;
            sg.name = i == 0 || i == 1 ? "root" : "issuing";
            sg.cert = i == 0 ? NULL : i == 1 ? certs[0] : certs[1];
            sg.key = ks_key_get0_pkey(i <= 1 ? keys[0] : keys[1]);
            sg.type = o->key_type;
            pub = ks_key_get1_public(keys[i]);
            if (pub == NULL) {
                rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot read the %s public key",
                                        authority_labels[i]);
                goto out;
            }
            rc = ca_build_cert(&p, &subj, pub, &sg, base_url, now, &certs[i], err);
            EVP_PKEY_free(pub);
            if (rc != SERTEL_OK) {
                sertel_err_prefix(err, "creating the %s certificate", profiles[i]);
                goto out;
            }
        }
    }

    /* Record it all in one transaction, audited. */
    rc = audit_open(st, ks_key_get0_pkey(keys[4]), NULL, &a, err);
    if (rc != SERTEL_OK)
        goto out;
    if ((rc = store_begin(st, err)) != SERTEL_OK)
        goto out;
    rc = audit_append_json(a, "system", AUDIT_CA_CREATED, o->org,
                           json_pack("{s:s, s:s, s:i}", "key_type", ks_keytype_name(o->key_type),
                                     "keystore", ks_backend(ks), "schema", store_schema_latest()),
                           NULL, err);
    for (i = 0; i < 4 && rc == SERTEL_OK; i++) {
        static const char *const profiles[4] = {"root-ca", "issuing-ca", "ocsp-signing",
                                                "time-stamping"};
        rc = ca_record_cert(st, a, certs[i], i <= 1 ? "root" : "issuing", profiles[i], NULL,
                            "system", err);
        if (rc == SERTEL_OK && (rc = ca_serial_hex(certs[i], serial, sizeof(serial))) == SERTEL_OK)
            rc = record_authority(st, a, authority_labels[i], o->key_type, serial, err);
    }
    if (rc == SERTEL_OK)
        rc = record_authority(st, a, "audit", o->key_type, NULL, err);
    if (rc == SERTEL_OK)
        rc = store_meta_set(st, "ca.org", o->org, err);
    if (rc == SERTEL_OK)
        rc = ca_account_create(st, a, "admin", o->admin_email, o->admin_name, o->admin_password,
                               err);
    if (rc == SERTEL_OK)
        rc = audit_checkpoint(a, err);
    if (rc != SERTEL_OK) {
        store_rollback(st);
        goto out;
    }
    if ((rc = store_commit(st, err)) != SERTEL_OK)
        goto out;
    audit_close(a);
    a = NULL;
    if ((rc = fs_path_join(path, sizeof(path), tmp, "audit.head", err)) != SERTEL_OK)
        goto out;
    if ((rc = audit_open(st, ks_key_get0_pkey(keys[4]), path, &a, err)) != SERTEL_OK ||
        (rc = audit_write_head(a, err)) != SERTEL_OK)
        goto out;
    for (i = 0; i < 4; i++)
        if ((rc = write_pem_cert(tmp, authority_labels[i], certs[i], err)) != SERTEL_OK)
            goto out;
    audit_close(a);
    a = NULL;
    store_close(st);
    st = NULL;

    /* Into place. An empty existing home is replaced (rename allows it). */
    if (rename(tmp, o->home) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot move the new home into %s: %s", o->home,
                            strerror(errno));
        goto out;
    }
    made_tmp = 0;
    rc = fs_sync_dir(parent, err);
out:
    audit_close(a);
    store_close(st);
    for (i = 0; i < 4; i++)
        X509_free(certs[i]);
    for (i = 0; i < N_AUTHORITIES; i++) {
        ks_key_free(keys[i]);
        if (rc != SERTEL_OK && generated[i] && ks != NULL && pkcs11)
            if (ks_destroy(ks, authority_labels[i], NULL) != SERTEL_OK)
                fprintf(stderr,
                        "sertel: warning: could not remove key '%s' from the token "
                        "after the failure: remove it by hand\n",
                        authority_labels[i]);
    }
    ks_close(ks);
    conf_free(c);
    free(conftext);
    sodium_memzero(secret, sizeof(secret));
    sodium_memzero(secret_hex, sizeof(secret_hex));
    if (made_tmp)
        fs_rmtree(tmp);
    return rc;
}

int ca_init(const ca_init_opts *o, sertel_err *err)
{
    ca_ctx *ca = NULL;
    int rc = init_home(o, err);

    if (rc != SERTEL_OK)
        return rc;
    /* The first CRLs, so the distribution points answer from the start. */
    rc = ca_open(o->home, 0, &ca, err);
    if (rc == SERTEL_OK)
        rc = ca_crl_generate(ca, "root", err);
    if (rc == SERTEL_OK)
        rc = ca_crl_generate(ca, "issuing", err);
    ca_close(ca);
    if (rc != SERTEL_OK)
        sertel_err_prefix(err,
                          "the home %s was created, but its first CRLs were not (run "
                          "'sertel crl' to issue them)",
                          o->home);
    return rc;
}
