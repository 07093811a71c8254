/*
 * backup.c - backing up a home into one encrypted archive and restoring it
 * into a new home (`sertel backup`, `sertel restore`).
 *
 * The archive file:
 *
 *   header (104 bytes, authenticated as the first chunk's additional data)
 *     "SERTELBK" | u32be format version (1) | u32be KDF (1: Argon2id v1.3)
 *     | u64be opslimit | u64be memlimit | salt[16] | key check[32]
 *     | secretstream header[24]
 *   chunks: libsodium crypto_secretstream_xchacha20poly1305, 64 KiB of
 *     plaintext each (the last one shorter, tagged FINAL), each
 *     authenticated and bound to its position: a changed, reordered,
 *     dropped or cut-off chunk fails.
 *
 * The key: Argon2id (RFC 9106) of the backup password with the header's
 * salt and limits gives a master key; crypto_kdf derives from it the stream
 * key (subkey 1) and the key check (subkey 2), so a wrong password is told
 * apart from a damaged archive without decrypting anything.
 *
 * The plaintext is a POSIX pax tar stream (libarchive): first
 * "sertel-backup.json" (format, version, creation time, schema, key store,
 * the database's path), then the home's files under "home/": the database
 * as a consistent snapshot (store_snapshot: SQLite's online backup API, so
 * `serve` and other writers go on meanwhile), audit.head as read before the
 * snapshot (so the restored chain reaches it), sertel.conf, keys/,
 * private/, certs/, uploads/ and anything else in the home, except the
 * live database files, the mail outbox (one-time codes and tokens in
 * clear) and temporary files. Keys in a PKCS#11 token are not in the
 * archive: the token is backed up with the HSM's own tools.
 *
 * Restore writes into a temporary directory beside the new home, checks
 * every page of the database, verifies the audit chain, records
 * home.restored in the restored home's audit log, and only then renames the
 * directory into place: a failure leaves nothing behind.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ca/ca_int.h"
#include "audit/events.h"
#include "util/fs.h"
#include "util/hex.h"

#define BK_MAGIC "SERTELBK"
#define BK_VERSION 1u
#define BK_KDF_ARGON2ID13 1u
#define BK_HEADER_LEN 104
#define BK_CHUNK 65536
#define BK_CIPHER_CHUNK (BK_CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES)
#define BK_KDF_CONTEXT "sertelbk"
#define BK_MANIFEST "sertel-backup.json"
#define BK_MANIFEST_MAX 65536
#define BK_PASSWORD_MIN 12
/* Limits a restore accepts from a header (the authenticated part comes later). */
#define BK_OPSLIMIT_MAX 16
#define BK_MEMLIMIT_MAX (1024ull * 1024 * 1024)
#define BK_DEPTH_MAX 16
#define BK_SNAPSHOT_PREFIX ".snapshot-"

/* ---- the encrypted stream --------------------------------------------- */

typedef struct bk_stream {
    int fd;
    crypto_secretstream_xchacha20poly1305_state st;
    unsigned char header[BK_HEADER_LEN];
    unsigned char *plain;  /* BK_CHUNK bytes (sodium_malloc: holds key files in clear) */
    unsigned char *cipher; /* BK_CIPHER_CHUNK + 1 bytes */
    size_t used;           /* plaintext bytes buffered (writing) */
    int first;             /* the next chunk is the first (gets the header as AD) */
    int final;             /* the FINAL chunk was written / read */
    EVP_MD_CTX *md;        /* SHA-256 of the archive file's bytes */
    int64_t bytes;         /* archive bytes written or read */
    const char *path;
    sertel_err *err;
    int failed;
} bk_stream;

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t get64(const unsigned char *p)
{
    return ((uint64_t)get32(p) << 32) | get32(p + 4);
}

static int write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read up to len bytes (fewer only at end of file); -1 on error. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
    unsigned char *p = buf;
    size_t got = 0;

    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static int stream_alloc(bk_stream *s, sertel_err *err)
{
    s->plain = sodium_malloc(BK_CHUNK);
    s->cipher = malloc(BK_CIPHER_CHUNK + 1);
    s->md = EVP_MD_CTX_new();
    if (s->plain == NULL || s->cipher == NULL || s->md == NULL ||
        EVP_DigestInit_ex(s->md, EVP_sha256(), NULL) != 1)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    s->first = 1;
    return SERTEL_OK;
}

static void stream_free(bk_stream *s)
{
    sodium_free(s->plain);
    free(s->cipher);
    EVP_MD_CTX_free(s->md);
    sodium_memzero(&s->st, sizeof(s->st));
}

/* Encrypt and write the buffered plaintext as one chunk. */
static int push_chunk(bk_stream *s, unsigned char tag)
{
    unsigned long long clen = 0;

    crypto_secretstream_xchacha20poly1305_push(&s->st, s->cipher, &clen, s->plain, s->used,
                                               s->first ? s->header : NULL,
                                               s->first ? BK_HEADER_LEN : 0, tag);
    s->first = 0;
    s->used = 0;
    if (write_all(s->fd, s->cipher, (size_t)clen) != 0) {
        sertel_err_set(s->err, SERTEL_ERR_IO, "cannot write the archive %s: %s", s->path,
                       strerror(errno));
        s->failed = 1;
        return -1;
    }
    EVP_DigestUpdate(s->md, s->cipher, (size_t)clen);
    s->bytes += (int64_t)clen;
    return 0;
}

static la_ssize_t w_write(struct archive *a, void *arg, const void *buf, size_t len)
{
    bk_stream *s = arg;
    const unsigned char *p = buf;
    size_t left = len;

    (void)a;
    while (left > 0) {
        size_t n = BK_CHUNK - s->used;
        if (s->used == BK_CHUNK && push_chunk(s, 0) != 0)
            return -1;
        n = BK_CHUNK - s->used;
        if (n > left)
            n = left;
        memcpy(s->plain + s->used, p, n);
        s->used += n;
        p += n;
        left -= n;
    }
    return (la_ssize_t)len;
}

static int w_close(struct archive *a, void *arg)
{
    bk_stream *s = arg;

    (void)a;
    if (s->failed)
        return ARCHIVE_FATAL;
    if (push_chunk(s, crypto_secretstream_xchacha20poly1305_TAG_FINAL) != 0)
        return ARCHIVE_FATAL;
    s->final = 1;
    return ARCHIVE_OK;
}

static la_ssize_t r_read(struct archive *a, void *arg, const void **buf)
{
    bk_stream *s = arg;
    unsigned long long plen = 0;
    unsigned char tag = 0;
    ssize_t n;

    if (s->final || s->failed) {
        *buf = s->plain;
        return 0;
    }
    n = read_full(s->fd, s->cipher, BK_CIPHER_CHUNK);
    if (n < 0) {
        sertel_err_set(s->err, SERTEL_ERR_IO, "cannot read the archive %s: %s", s->path,
                       strerror(errno));
        goto fail;
    }
    if (n == 0) {
        sertel_err_set(s->err, SERTEL_ERR_INVALID,
                       "the archive %s is truncated: it ends before its last part (copy it "
                       "again from where it is kept)",
                       s->path);
        goto fail;
    }
    EVP_DigestUpdate(s->md, s->cipher, (size_t)n);
    s->bytes += n;
    if (crypto_secretstream_xchacha20poly1305_pull(
            &s->st, s->plain, &plen, &tag, s->cipher, (unsigned long long)n,
            s->first ? s->header : NULL, s->first ? BK_HEADER_LEN : 0) != 0) {
        sertel_err_set(s->err, SERTEL_ERR_INVALID,
                       "the archive %s is damaged or truncated at byte %lld: its content does "
                       "not authenticate (nothing was restored; use another copy of the backup)",
                       s->path, (long long)(s->bytes - n + BK_HEADER_LEN));
        goto fail;
    }
    s->first = 0;
    if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
        unsigned char extra;
        s->final = 1;
        if (read_full(s->fd, &extra, 1) != 0) {
            sertel_err_set(s->err, SERTEL_ERR_INVALID,
                           "the archive %s has data after its end: it is damaged", s->path);
            goto fail;
        }
    } else if ((size_t)n < BK_CIPHER_CHUNK) {
        sertel_err_set(s->err, SERTEL_ERR_INVALID,
                       "the archive %s is truncated: it ends before its last part", s->path);
        goto fail;
    }
    *buf = s->plain;
    return (la_ssize_t)plen;
fail:
    s->failed = 1;
    archive_set_error(a, EINVAL, "%s", s->err ? s->err->msg : "archive error");
    return -1;
}

/* Argon2id of the password, then the stream key and the key check. */
static int derive_keys(const char *password, const unsigned char *salt, uint64_t ops, uint64_t mem,
                       unsigned char *key, unsigned char check[32], sertel_err *err)
{
    unsigned char *master = sodium_malloc(crypto_kdf_KEYBYTES);
    int rc = SERTEL_OK;

    if (master == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    if (crypto_pwhash(master, crypto_kdf_KEYBYTES, password, strlen(password), salt, ops,
                      (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0 ||
        crypto_kdf_derive_from_key(key, crypto_secretstream_xchacha20poly1305_KEYBYTES, 1,
                                   BK_KDF_CONTEXT, master) != 0 ||
        crypto_kdf_derive_from_key(check, 32, 2, BK_KDF_CONTEXT, master) != 0)
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM,
                            "deriving the backup key failed (out of memory: Argon2id needs "
                            "%llu MiB)",
                            (unsigned long long)(mem >> 20));
    sodium_free(master);
    return rc;
}

/* ---- backup ----------------------------------------------------------- */

typedef struct bk_writer {
    struct archive *a;
    bk_stream s;
    const char *home;
    size_t homelen;
    char dbpath[PATH_MAX];   /* the live database */
    char snapshot[PATH_MAX]; /* its snapshot */
    char outbox[PATH_MAX];   /* excluded */
    char headpath[PATH_MAX]; /* audit.head: the copy read before the snapshot goes in */
    unsigned char *head;
    size_t headlen;
    int64_t files;
    sertel_err *err;
} bk_writer;

static int entry_header(bk_writer *w, const char *name, mode_t type, mode_t perm, int64_t size,
                        time_t mtime)
{
    struct archive_entry *e = archive_entry_new();
    int rc = SERTEL_OK;

    if (e == NULL)
        return sertel_err_set(w->err, SERTEL_ERR_NOMEM, "out of memory");
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, perm & 07777);
    archive_entry_set_size(e, type == AE_IFREG ? size : 0);
    archive_entry_set_mtime(e, mtime, 0);
    if (archive_write_header(w->a, e) != ARCHIVE_OK)
        rc = w->s.failed ? w->err->code
                         : sertel_err_set(w->err, SERTEL_ERR_IO, "writing the archive: %s",
                                          archive_error_string(w->a));
    archive_entry_free(e);
    return rc;
}

static int entry_data(bk_writer *w, const void *data, size_t len)
{
    if (len > 0 && archive_write_data(w->a, data, len) != (la_ssize_t)len)
        return w->s.failed ? w->err->code
                           : sertel_err_set(w->err, SERTEL_ERR_IO, "writing the archive: %s",
                                            archive_error_string(w->a));
    return SERTEL_OK;
}

/* Add the file at path as name; its size must not change while it is read. */
static int add_file(bk_writer *w, const char *path, const char *name, mode_t perm)
{
    unsigned char *buf = NULL;
    struct stat sb;
    int64_t left;
    int fd = -1, rc;

    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) != 0) {
        rc = sertel_err_set(w->err, SERTEL_ERR_IO, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    if ((rc = entry_header(w, name, AE_IFREG, perm, (int64_t)sb.st_size, sb.st_mtime)) != SERTEL_OK)
        goto out;
    buf = sodium_malloc(BK_CHUNK); /* key files pass through here */
    if (buf == NULL) {
        rc = sertel_err_set(w->err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (left = (int64_t)sb.st_size; left > 0;) {
        ssize_t n = read_full(fd, buf, left < BK_CHUNK ? (size_t)left : BK_CHUNK);
        if (n <= 0) {
            rc = sertel_err_set(w->err, SERTEL_ERR_IO,
                                "cannot read %s (%s): did it shrink while the backup ran?", path,
                                n < 0 ? strerror(errno) : "end of file");
            goto out;
        }
        if ((rc = entry_data(w, buf, (size_t)n)) != SERTEL_OK)
            goto out;
        left -= n;
    }
    w->files++;
out:
    sodium_free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}

static int add_tree(bk_writer *w, const char *dir, int depth);

/* One entry of the home: what to leave out, what goes in and how. */
static int add_entry(bk_writer *w, const char *path, int depth)
{
    char name[PATH_MAX + 8];
    const char *rel = path + w->homelen + 1;
    size_t dl = strlen(w->dbpath);
    struct stat sb;
    int rc;

    if (strcmp(path, w->outbox) == 0 || strstr(rel, ".tmp-") != NULL ||
        strncmp(rel, BK_SNAPSHOT_PREFIX, strlen(BK_SNAPSHOT_PREFIX)) == 0)
        return SERTEL_OK; /* the outbox, temporary files, snapshots (this one or left over) */
    if (strncmp(path, w->dbpath, dl) == 0 &&
        (path[dl] == '\0' || strcmp(path + dl, "-wal") == 0 || strcmp(path + dl, "-shm") == 0 ||
         strcmp(path + dl, "-journal") == 0 || strcmp(path + dl, "-damaged") == 0))
        return SERTEL_OK; /* the snapshot stands for the live database */
    if (lstat(path, &sb) != 0)
        return errno == ENOENT ? SERTEL_OK /* removed meanwhile (a temporary file) */
                               : sertel_err_set(w->err, SERTEL_ERR_IO, "cannot read %s: %s", path,
                                                strerror(errno));
    if ((size_t)snprintf(name, sizeof(name), "home/%s", rel) >= sizeof(name))
        return sertel_err_set(w->err, SERTEL_ERR_INVALID, "path too long: %s", path);
    if (S_ISDIR(sb.st_mode)) {
        if ((rc = entry_header(w, name, AE_IFDIR, sb.st_mode, 0, sb.st_mtime)) != SERTEL_OK)
            return rc;
        return add_tree(w, path, depth + 1);
    }
    if (!S_ISREG(sb.st_mode))
        return sertel_err_set(w->err, SERTEL_ERR_UNSUPPORTED,
                              "%s is not a regular file or directory: a home holds only those "
                              "(move it out of the home and back up again)",
                              path);
    if (strcmp(path, w->headpath) == 0) {
        if ((rc = entry_header(w, name, AE_IFREG, sb.st_mode, (int64_t)w->headlen, sb.st_mtime)) !=
                SERTEL_OK ||
            (rc = entry_data(w, w->head, w->headlen)) != SERTEL_OK)
            return rc;
        w->files++;
        return SERTEL_OK;
    }
    return add_file(w, path, name, sb.st_mode);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dir in name order (a stable archive), each through add_entry. */
static int add_tree(bk_writer *w, const char *dir, int depth)
{
    DIR *d = NULL;
    struct dirent *de;
    char **names = NULL, path[PATH_MAX];
    size_t n = 0, cap = 0, i;
    int rc = SERTEL_OK;

    if (depth > BK_DEPTH_MAX)
        return sertel_err_set(w->err, SERTEL_ERR_UNSUPPORTED,
                              "%s is nested more than %d directories deep", dir, BK_DEPTH_MAX);
    if ((d = opendir(dir)) == NULL)
        return sertel_err_set(w->err, SERTEL_ERR_IO, "cannot list %s: %s", dir, strerror(errno));
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap ? cap * 2 : 32) * sizeof(*names));
            if (nn == NULL) {
                rc = sertel_err_set(w->err, SERTEL_ERR_NOMEM, "out of memory");
                goto out;
            }
            names = nn;
            cap = cap ? cap * 2 : 32;
        }
        if ((names[n] = strdup(de->d_name)) == NULL) {
            rc = sertel_err_set(w->err, SERTEL_ERR_NOMEM, "out of memory");
            goto out;
        }
        n++;
    }
    if (n > 1)
        qsort(names, n, sizeof(*names), name_cmp);
    for (i = 0; i < n && rc == SERTEL_OK; i++) {
        rc = fs_path_join(path, sizeof(path), dir, names[i], w->err);
        if (rc == SERTEL_OK)
            rc = add_entry(w, path, depth);
    }
out:
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

/* A configured path resolved against the home. */
static int conf_path(const ca_ctx *ca, const char *sect, const char *key, const char *def,
                     char *out, size_t cap, sertel_err *err)
{
    const char *v = conf_get_default(ca->conf, sect, key, def);

    if (v == NULL) {
        out[0] = '\0';
        return SERTEL_OK;
    }
    if (v[0] == '/') {
        if ((size_t)snprintf(out, cap, "%s", v) >= cap)
            return sertel_err_set(err, SERTEL_ERR_INVALID, "path too long: %s", v);
        return SERTEL_OK;
    }
    return fs_path_join(out, cap, ca->home, v, err);
}

/* Files the configuration names outside the home: listed, not archived. */
static void note_outside(const ca_ctx *ca, ca_backup_info *info)
{
    static const char *const keys[][2] = {
        {"keystore", "secret_file"},    {"keystore", "directory"}, {"keystore", "pin_file"},
        {"ra", "secret_file"},          {"ra", "uploads"},         {"audit", "head_file"},
        {"mail", "smtp_password_file"},
    };
    size_t i, hl = strlen(ca->home), used = 0;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *v = conf_get(ca->conf, keys[i][0], keys[i][1]);
        int n;
        if (v == NULL || v[0] != '/' || (strncmp(v, ca->home, hl) == 0 && v[hl] == '/'))
            continue;
        n = snprintf(info->outside + used, sizeof(info->outside) - used, "%s%s", used ? ", " : "",
                     v);
        if (n < 0 || (size_t)n >= sizeof(info->outside) - used)
            break;
        used += (size_t)n;
    }
}

static int manifest_text(ca_ctx *ca, const ca_backup_info *info, const char *dbrel, char **out,
                         sertel_err *err)
{
    json_t *j;
    int version = 0;

    *out = NULL;
    if (store_schema_version(ca->st, &version, err) != SERTEL_OK)
        return err->code;
    j = json_pack("{s:s, s:i, s:I, s:s, s:i, s:s, s:s, s:s, s:I, s:s}", "format", "sertel-backup",
                  "version", (int)BK_VERSION, "created_at", (json_int_t)info->created_at, "sertel",
                  "0.1.0", "schema", version, "keystore", ks_backend(ca->ks), "token", info->token,
                  "database", dbrel, "audit_entries", (json_int_t)info->audit_entries, "home",
                  ca->home);
    if (j != NULL)
        *out = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    return *out ? SERTEL_OK : sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
}

static int count_audit(const char *snapshot, int64_t *n, sertel_err *err)
{
    store *st = NULL;
    store_stmt *s = NULL;
    int rc = store_open(snapshot, STORE_OPEN_READONLY, &st, err);

    *n = 0;
    if (rc == SERTEL_OK)
        rc = store_prepare(st, "SELECT count(*) FROM audit_log", &s, err);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        *n = store_col_int64(s, 0);
        rc = SERTEL_OK;
    }
    store_finalize(s);
    store_close(st);
    return rc;
}

int ca_backup(ca_ctx *ca, const char *out, const char *password, const char *actor,
              ca_backup_info *info, sertel_err *err)
{
    bk_writer w;
    char tmp[PATH_MAX], dbrel[PATH_MAX], outdir[PATH_MAX], rnd[17], *manifest = NULL;
    unsigned char *key = NULL, check[32], salt[16], md[32], nonce[8];
    unsigned int mdlen = 0;
    int rc, claimed = 0, tmpfd = -1;
    json_t *dj = NULL;

    memset(&w, 0, sizeof(w));
    memset(info, 0, sizeof(*info));
    w.err = err;
    w.s.fd = -1;
    w.s.err = err;
    if (ca->audit == NULL || ca->ks == NULL)
        return sertel_err_set(err, SERTEL_ERR_STATE, "a backup needs the home opened for writing");
    if (strlen(password) < BK_PASSWORD_MIN)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the backup password must have at least %d characters: it alone "
                              "protects the CA's keys in the archive",
                              BK_PASSWORD_MIN);
    if (strcmp(store_backend(ca->st), "sqlite") != 0)
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "sertel backup covers the embedded SQLite store only");
    info->created_at = (int64_t)time(NULL);
    info->pkcs11 = strcmp(ks_backend(ca->ks), "software") != 0;
    if (info->pkcs11)
        snprintf(info->token, sizeof(info->token), "%s",
                 conf_get_default(ca->conf, "keystore", "token", "?"));
    note_outside(ca, info);
    w.home = ca->home;
    w.homelen = strlen(ca->home);
    while (w.homelen > 1 && ca->home[w.homelen - 1] == '/')
        w.homelen--;
    if ((rc = conf_path(ca, "store", "database", "sertel.db", w.dbpath, sizeof(w.dbpath), err)) !=
            SERTEL_OK ||
        (rc = conf_path(ca, "mail", "outbox", "outbox", w.outbox, sizeof(w.outbox), err)) !=
            SERTEL_OK)
        return rc;
    if (strncmp(w.dbpath, ca->home, w.homelen) != 0 || w.dbpath[w.homelen] != '/')
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "the database %s is outside the home: sertel backup needs it inside",
                              w.dbpath);
    snprintf(dbrel, sizeof(dbrel), "%s", w.dbpath + w.homelen + 1);
    snprintf(w.headpath, sizeof(w.headpath), "%s", ca->head_path);

    /* Claim the output name first: an existing file is never overwritten. */
    tmpfd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (tmpfd < 0)
        return sertel_err_set(err, errno == EEXIST ? SERTEL_ERR_EXISTS : SERTEL_ERR_IO,
                              errno == EEXIST ? "%s exists: refusing to overwrite it; give a new "
                                                "file name"
                                              : "cannot create %s: %s",
                              out, strerror(errno));
    close(tmpfd);
    tmpfd = -1;
    claimed = 1;
    snprintf(outdir, sizeof(outdir), "%s", out);
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", out) >= sizeof(tmp)) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "path too long: %s", out);
        goto out;
    }
    if ((w.s.fd = mkstemp(tmp)) < 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot create a file beside %s: %s", out,
                            strerror(errno));
        tmp[0] = '\0';
        goto out;
    }
    w.s.path = tmp;

    /* audit.head before the snapshot: the snapshot's chain then reaches it. */
    if (fs_exists(w.headpath) &&
        (rc = fs_read_file(w.headpath, 65536, &w.head, &w.headlen, err)) != SERTEL_OK)
        goto out;
    randombytes_buf(nonce, sizeof(nonce));
    hex_encode(nonce, sizeof(nonce), rnd);
    if ((size_t)snprintf(w.snapshot, sizeof(w.snapshot), "%.*s/" BK_SNAPSHOT_PREFIX "%s.db",
                         (int)w.homelen, ca->home, rnd) >= sizeof(w.snapshot)) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "path too long under %s", ca->home);
        goto out;
    }
    if ((rc = store_snapshot(ca->st, w.snapshot, err)) != SERTEL_OK) {
        w.snapshot[0] = '\0';
        goto out;
    }
    if ((rc = count_audit(w.snapshot, &info->audit_entries, err)) != SERTEL_OK)
        goto out;

    /* Key and header. */
    key = sodium_malloc(crypto_secretstream_xchacha20poly1305_KEYBYTES);
    if (key == NULL || (rc = stream_alloc(&w.s, err)) != SERTEL_OK) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    randombytes_buf(salt, sizeof(salt));
    if ((rc = derive_keys(password, salt, crypto_pwhash_OPSLIMIT_MODERATE,
                          crypto_pwhash_MEMLIMIT_MODERATE, key, check, err)) != SERTEL_OK)
        goto out;
    memcpy(w.s.header, BK_MAGIC, 8);
    put32(w.s.header + 8, BK_VERSION);
    put32(w.s.header + 12, BK_KDF_ARGON2ID13);
    put64(w.s.header + 16, crypto_pwhash_OPSLIMIT_MODERATE);
    put64(w.s.header + 24, crypto_pwhash_MEMLIMIT_MODERATE);
    memcpy(w.s.header + 32, salt, 16);
    memcpy(w.s.header + 48, check, 32);
    crypto_secretstream_xchacha20poly1305_init_push(&w.s.st, w.s.header + 80, key);
    if (write_all(w.s.fd, w.s.header, BK_HEADER_LEN) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    EVP_DigestUpdate(w.s.md, w.s.header, BK_HEADER_LEN);
    w.s.bytes = BK_HEADER_LEN;

    /* The tar stream: manifest, the database snapshot, the rest of the home. */
    if ((rc = ca_archive_load(err)) != SERTEL_OK)
        goto out;
    w.a = archive_write_new();
    if (w.a == NULL || archive_write_set_format_pax_restricted(w.a) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(w.a, 1) != ARCHIVE_OK ||
        archive_write_open(w.a, &w.s, NULL, w_write, w_close) != ARCHIVE_OK) {
        rc = sertel_err_set(err, SERTEL_ERR_INTERNAL, "cannot start the archive: %s",
                            w.a ? archive_error_string(w.a) : "out of memory");
        goto out;
    }
    if ((rc = manifest_text(ca, info, dbrel, &manifest, err)) != SERTEL_OK ||
        (rc = entry_header(&w, BK_MANIFEST, AE_IFREG, 0600, (int64_t)strlen(manifest),
                           (time_t)info->created_at)) != SERTEL_OK ||
        (rc = entry_data(&w, manifest, strlen(manifest))) != SERTEL_OK)
        goto out;
    {
        char name[PATH_MAX + 8];
        snprintf(name, sizeof(name), "home/%s", dbrel);
        if ((rc = add_file(&w, w.snapshot, name, 0600)) != SERTEL_OK)
            goto out;
    }
    {
        char root[PATH_MAX];
        snprintf(root, sizeof(root), "%.*s", (int)w.homelen, ca->home);
        if ((rc = add_tree(&w, root, 0)) != SERTEL_OK)
            goto out;
    }
    if (archive_write_close(w.a) != ARCHIVE_OK || !w.s.final) {
        rc = w.s.failed ? err->code
                        : sertel_err_set(err, SERTEL_ERR_IO, "finishing the archive: %s",
                                         archive_error_string(w.a));
        goto out;
    }
    if (fsync(w.s.fd) != 0) {
        rc =
            sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s to disk: %s", tmp, strerror(errno));
        goto out;
    }
    EVP_DigestFinal_ex(w.s.md, md, &mdlen);
    hex_encode(md, sizeof(md), info->sha256);
    info->bytes = w.s.bytes;
    info->files = w.files;

    /* Audited before the archive is handed over under its name. */
    dj = json_pack("{s:s, s:I, s:I, s:I, s:s, s:s?}", "sha256", info->sha256, "bytes",
                   (json_int_t)info->bytes, "files", (json_int_t)info->files, "audit_entries",
                   (json_int_t)info->audit_entries, "keystore", ks_backend(ca->ks), "outside",
                   info->outside[0] ? info->outside : NULL);
    if ((rc = ca_txn_begin(ca, err)) != SERTEL_OK)
        goto out;
    rc = audit_append_json(ca->audit, actor ? actor : "system", AUDIT_BACKUP_CREATED, out, dj, NULL,
                           err);
    dj = NULL; /* taken over */
    if (rc == SERTEL_OK)
        rc = ca_txn_commit(ca, err);
    else
        ca_txn_rollback(ca);
    if (rc != SERTEL_OK) {
        sertel_err_prefix(err, "recording the backup in the audit log (no archive was kept)");
        goto out;
    }
    if (rename(tmp, out) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot name the archive %s: %s", out,
                            strerror(errno));
        goto out;
    }
    tmp[0] = '\0';
    claimed = 0;
    rc = fs_sync_dir(dirname(outdir), err);
out:
    if (w.a != NULL)
        archive_write_free(w.a);
    if (w.s.fd >= 0)
        close(w.s.fd);
    if (w.snapshot[0] != '\0')
        unlink(w.snapshot);
    if (rc != SERTEL_OK && tmp[0] != '\0')
        unlink(tmp);
    if (rc != SERTEL_OK && claimed)
        unlink(out);
    stream_free(&w.s);
    sodium_free(key);
    sodium_memzero(check, sizeof(check));
    if (w.head != NULL)
        free(w.head);
    free(manifest);
    json_decref(dj);
    return rc;
}

/* ---- restore ---------------------------------------------------------- */

/* A relative path from the archive: no "..", ".", empty or over-long components. */
static int safe_rel(const char *rel)
{
    const char *p = rel;

    if (*rel == '\0' || *rel == '/' || strlen(rel) > 1024)
        return 0;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || n > 255 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        p += n;
        if (*p == '/')
            p++;
    }
    return 1;
}

typedef struct rs_dir {
    char path[PATH_MAX];
    mode_t mode;
} rs_dir;

/* Read one regular file's data from the archive into a new file at path. */
static int extract_file(struct archive *a, bk_stream *s, const char *path, mode_t mode,
                        sertel_err *err)
{
    const void *buf;
    size_t len;
    la_int64_t off;
    int fd, r, rc = SERTEL_OK;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return sertel_err_set(err, errno == EEXIST ? SERTEL_ERR_INVALID : SERTEL_ERR_IO,
                              errno == EEXIST ? "the archive holds %s twice: it is damaged"
                                              : "cannot create %s: %s",
                              path, strerror(errno));
    while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
        if (pwrite(fd, buf, len, (off_t)off) != (ssize_t)len) {
            rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s: %s", path, strerror(errno));
            break;
        }
    }
    if (rc == SERTEL_OK && r != ARCHIVE_EOF)
        rc = s->failed ? err->code
                       : sertel_err_set(err, SERTEL_ERR_INVALID, "the archive is damaged: %s",
                                        archive_error_string(a));
    if (rc == SERTEL_OK && (fchmod(fd, mode) != 0 || fsync(fd) != 0))
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    close(fd);
    return rc;
}

static int read_manifest(struct archive *a, bk_stream *s, ca_restore_info *info, char *dbrel,
                         size_t cap, sertel_err *err)
{
    char *text = NULL;
    json_t *j = NULL;
    json_error_t je;
    const char *format = NULL, *db = NULL, *ks = NULL, *token = NULL, *home = NULL;
    json_int_t version = 0, created = 0, entries = 0;
    la_ssize_t n;
    int rc = SERTEL_OK;

    text = calloc(1, BK_MANIFEST_MAX + 1);
    if (text == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    n = archive_read_data(a, text, BK_MANIFEST_MAX);
    if (n < 0) {
        rc = s->failed ? err->code
                       : sertel_err_set(err, SERTEL_ERR_INVALID, "the archive is damaged: %s",
                                        archive_error_string(a));
        goto out;
    }
    j = json_loadb(text, (size_t)n, 0, &je);
    if (j == NULL ||
        json_unpack(j, "{s:s, s:I, s:I, s:s, s:s, s?s, s:I, s?s}", "format", &format, "version",
                    &version, "created_at", &created, "keystore", &ks, "database", &db, "token",
                    &token, "audit_entries", &entries, "home", &home) != 0 ||
        strcmp(format, "sertel-backup") != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "the archive's %s is not a sertel backup description", BK_MANIFEST);
        goto out;
    }
    if (version != BK_VERSION) {
        rc = sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                            "the archive's content is format version %lld, this sertel reads "
                            "version %u: restore it with a newer sertel",
                            (long long)version, BK_VERSION);
        goto out;
    }
    if (!safe_rel(db) || strlen(db) >= cap) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "the archive names a bad database path");
        goto out;
    }
    snprintf(dbrel, cap, "%s", db);
    info->created_at = (int64_t)created;
    info->audit_entries = (int64_t)entries;
    info->pkcs11 = strcmp(ks, "software") != 0;
    snprintf(info->token, sizeof(info->token), "%s", token ? token : "");
    snprintf(info->source, sizeof(info->source), "%s", home ? home : "");
out:
    json_decref(j);
    free(text);
    return rc;
}

/* Open the restored home, check it, verify its audit chain and record the restore. */
static int finish_restored(const char *tmp, const char *home, const char *archive_sha,
                           ca_restore_info *info, sertel_err *err)
{
    ca_ctx *ca = NULL;
    EVP_PKEY *pub = NULL;
    audit_report rep;
    store_check_stats stats;
    json_t *dj = NULL;
    int rc;

    rc = ca_open(tmp, 0, &ca, err);
    if (rc != SERTEL_OK) {
        sertel_err_prefix(err, "opening the restored home%s",
                          info->pkcs11 ? " (its keys are in the PKCS#11 token: restore the token "
                                         "with the HSM's tools and attach it first)"
                                       : "");
        goto out;
    }
    if ((rc = store_check(ca->st, STORE_CHECK_FULL, &stats, err)) != SERTEL_OK)
        goto out;
    if ((rc = ca_audit_public_key(ca, &pub, err)) != SERTEL_OK)
        goto out;
    memset(&rep, 0, sizeof(rep));
    rc = audit_verify(ca->st, pub, ca->head_path, &rep, err);
    if (rc == SERTEL_ERR_TAMPERED)
        rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                            "the audit log in the archive does not verify (%s): nothing was "
                            "restored",
                            rep.what);
    if (rc != SERTEL_OK)
        goto out;
    info->audit_entries = rep.entries;
    dj = json_pack("{s:s, s:I, s:s, s:I}", "archive_sha256", archive_sha, "backup_created_at",
                   (json_int_t)info->created_at, "source_home", info->source, "files",
                   (json_int_t)info->files);
    if ((rc = ca_txn_begin(ca, err)) != SERTEL_OK)
        goto out;
    rc = audit_append_json(ca->audit, "system", AUDIT_HOME_RESTORED, home, dj, NULL, err);
    dj = NULL; /* taken over */
    if (rc == SERTEL_OK)
        rc = ca_txn_commit(ca, err);
    else
        ca_txn_rollback(ca);
out:
    EVP_PKEY_free(pub);
    json_decref(dj);
    ca_close(ca);
    return rc;
}

int ca_restore(const char *archive, const char *home, const char *password, ca_restore_info *info,
               sertel_err *err)
{
    bk_stream s;
    struct archive *a = NULL;
    struct archive_entry *e;
    char tmp[PATH_MAX], parent[PATH_MAX], base[PATH_MAX], path[PATH_MAX], dbrel[PATH_MAX];
    char sha[65];
    unsigned char *key = NULL, check[32], md[32];
    unsigned int mdlen = 0;
    rs_dir *dirs = NULL;
    size_t ndirs = 0, capdirs = 0, i;
    int rc, made_tmp = 0, seen_manifest = 0, seen_db = 0, seen_conf = 0, r;
    uint64_t ops, mem;

    memset(&s, 0, sizeof(s));
    memset(info, 0, sizeof(*info));
    s.fd = -1;
    s.err = err;
    s.path = archive;
    tmp[0] = '\0';
    if (strlen(home) >= PATH_MAX - 64)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "home path too long");
    if ((rc = ca_home_check_free(home, err)) != SERTEL_OK)
        return rc;
    if ((rc = stream_alloc(&s, err)) != SERTEL_OK)
        goto out;
    if ((s.fd = open(archive, O_RDONLY | O_CLOEXEC)) < 0) {
        rc = sertel_err_set(err, errno == ENOENT ? SERTEL_ERR_NOTFOUND : SERTEL_ERR_IO,
                            "cannot open the archive %s: %s", archive, strerror(errno));
        goto out;
    }
    if (read_full(s.fd, s.header, BK_HEADER_LEN) != BK_HEADER_LEN ||
        memcmp(s.header, BK_MAGIC, 8) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "%s is not a sertel backup (or it is cut short before its header)",
                            archive);
        goto out;
    }
    if (get32(s.header + 8) != BK_VERSION) {
        rc = sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                            "%s is a sertel backup of format version %u; this sertel reads "
                            "version %u: restore it with a newer sertel",
                            archive, get32(s.header + 8), BK_VERSION);
        goto out;
    }
    ops = get64(s.header + 16);
    mem = get64(s.header + 24);
    if (get32(s.header + 12) != BK_KDF_ARGON2ID13 || ops < crypto_pwhash_OPSLIMIT_MIN ||
        ops > BK_OPSLIMIT_MAX || mem < crypto_pwhash_MEMLIMIT_MIN || mem > BK_MEMLIMIT_MAX) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "%s: the key derivation in its header is unknown or out of bounds: "
                            "the archive is damaged",
                            archive);
        goto out;
    }
    EVP_DigestUpdate(s.md, s.header, BK_HEADER_LEN);
    key = sodium_malloc(crypto_secretstream_xchacha20poly1305_KEYBYTES);
    if (key == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = derive_keys(password, s.header + 32, ops, mem, key, check, err)) != SERTEL_OK)
        goto out;
    if (sodium_memcmp(check, s.header + 48, 32) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_DENIED,
                            "wrong password for the backup %s (or its header is damaged): "
                            "nothing was restored",
                            archive);
        goto out;
    }
    if (crypto_secretstream_xchacha20poly1305_init_pull(&s.st, s.header + 80, key) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "%s: damaged stream header", archive);
        goto out;
    }
    sodium_free(key);
    key = NULL;

    /* A temporary directory beside the new home. */
    snprintf(path, sizeof(path), "%s", home);
    snprintf(parent, sizeof(parent), "%s", dirname(path));
    snprintf(path, sizeof(path), "%s", home);
    snprintf(base, sizeof(base), "%s", basename(path));
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.restore-XXXXXX", parent, base) >= sizeof(tmp) ||
        mkdtemp(tmp) == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot create a directory in %s: %s", parent,
                            strerror(errno));
        tmp[0] = '\0';
        goto out;
    }
    made_tmp = 1;
    if (chmod(tmp, 0700) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot set permissions on %s: %s", tmp,
                            strerror(errno));
        goto out;
    }

    if ((rc = ca_archive_load(err)) != SERTEL_OK)
        goto out;
    a = archive_read_new();
    if (a == NULL || archive_read_support_format_tar(a) != ARCHIVE_OK ||
        archive_read_open(a, &s, NULL, r_read, NULL) != ARCHIVE_OK) {
        rc = s.failed ? err->code
                      : sertel_err_set(err, SERTEL_ERR_INVALID, "%s: the archive is damaged: %s",
                                       archive, a ? archive_error_string(a) : "out of memory");
        goto out;
    }
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        mode_t type = archive_entry_filetype(e), perm = archive_entry_perm(e);
        const char *rel;

        if (name == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_INVALID, "%s: an entry without a name", archive);
            goto out;
        }
        if (!seen_manifest) {
            if (strcmp(name, BK_MANIFEST) != 0 || type != AE_IFREG) {
                rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                    "%s does not start with %s: it is not a sertel backup", archive,
                                    BK_MANIFEST);
                goto out;
            }
            if ((rc = read_manifest(a, &s, info, dbrel, sizeof(dbrel), err)) != SERTEL_OK)
                goto out;
            seen_manifest = 1;
            continue;
        }
        if (strncmp(name, "home/", 5) != 0 || !safe_rel(rel = name + 5) ||
            (type != AE_IFREG && type != AE_IFDIR)) {
            rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                "%s holds '%.200s', which a sertel backup never holds: refused",
                                archive, name);
            goto out;
        }
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", tmp, rel) >= sizeof(path)) {
            rc =
                sertel_err_set(err, SERTEL_ERR_INVALID, "%s: path too long: %.200s", archive, name);
            goto out;
        }
        if (type == AE_IFDIR) {
            size_t n = strlen(path);
            while (n > 0 && path[n - 1] == '/')
                path[--n] = '\0';
            if (mkdir(path, 0700) != 0) {
                rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot create %s: %s", path,
                                    strerror(errno));
                goto out;
            }
            if (ndirs == capdirs) {
                rs_dir *nd = realloc(dirs, (capdirs ? capdirs * 2 : 16) * sizeof(*dirs));
                if (nd == NULL) {
                    rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
                    goto out;
                }
                dirs = nd;
                capdirs = capdirs ? capdirs * 2 : 16;
            }
            snprintf(dirs[ndirs].path, sizeof(dirs[ndirs].path), "%s", path);
            dirs[ndirs++].mode = perm & 0755; /* never group- or world-writable */
            continue;
        }
        if (strcmp(rel, dbrel) == 0) {
            perm = 0600;
            seen_db = 1;
        }
        if (strcmp(rel, "sertel.conf") == 0)
            seen_conf = 1;
        if ((rc = extract_file(a, &s, path, perm & 0644, err)) != SERTEL_OK)
            goto out;
        info->files++;
    }
    if (r != ARCHIVE_EOF) {
        rc = s.failed ? err->code
                      : sertel_err_set(err, SERTEL_ERR_INVALID, "%s: the archive is damaged: %s",
                                       archive, archive_error_string(a));
        goto out;
    }
    /* The tar stream ended: the encrypted stream must end with it, at its FINAL chunk. */
    {
        const void *rest;
        while (!s.final && !s.failed)
            if (r_read(a, &s, &rest) < 0)
                break;
        if (s.failed) {
            rc = err->code;
            goto out;
        }
    }
    if (!seen_manifest || !seen_db || !seen_conf) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "%s lacks %s: it is not a complete sertel backup", archive,
                            !seen_manifest ? BK_MANIFEST
                            : !seen_db     ? "the database"
                                           : "sertel.conf");
        goto out;
    }
    EVP_DigestFinal_ex(s.md, md, &mdlen);
    hex_encode(md, sizeof(md), sha);
    snprintf(info->sha256, sizeof(info->sha256), "%s", sha);

    if ((rc = finish_restored(tmp, home, sha, info, err)) != SERTEL_OK)
        goto out;
    /* Modes last (a read-only directory would have refused its files), deepest first. */
    for (i = ndirs; i-- > 0;) {
        if (chmod(dirs[i].path, dirs[i].mode) != 0 || fs_sync_dir(dirs[i].path, err) != SERTEL_OK) {
            rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot finish %s: %s", dirs[i].path,
                                strerror(errno));
            goto out;
        }
    }
    if ((rc = fs_sync_dir(tmp, err)) != SERTEL_OK)
        goto out;
    if (rename(tmp, home) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot move the restored home into %s: %s", home,
                            strerror(errno));
        goto out;
    }
    made_tmp = 0;
    rc = fs_sync_dir(parent, err);
out:
    if (a != NULL)
        archive_read_free(a);
    if (s.fd >= 0)
        close(s.fd);
    stream_free(&s);
    sodium_free(key);
    sodium_memzero(check, sizeof(check));
    free(dirs);
    if (made_tmp)
        fs_rmtree(tmp);
    return rc;
}

/* ---- the damage check of a home's database ----------------------------- */

int ca_store_check(const char *home, int flags, store_check_stats *stats, sertel_err *err)
{
    char path[PATH_MAX];
    const char *db;
    conf *c = NULL;
    store *st = NULL;
    int rc;

    if ((rc = fs_path_join(path, sizeof(path), home, "sertel.conf", err)) != SERTEL_OK)
        return rc;
    if ((rc = conf_load(path, &c, err)) != SERTEL_OK)
        return rc;
    db = conf_get_default(c, "store", "database", "sertel.db");
    if (db[0] == '/')
        rc = (size_t)snprintf(path, sizeof(path), "%s", db) < sizeof(path)
                 ? SERTEL_OK
                 : sertel_err_set(err, SERTEL_ERR_INVALID, "path too long: %s", db);
    else
        rc = fs_path_join(path, sizeof(path), home, db, err);
    if (rc == SERTEL_OK)
        rc = store_open(path, 0, &st, err);
    if (rc == SERTEL_OK)
        rc = store_check(st, flags, stats, err);
    store_close(st);
    conf_free(c);
    return rc;
}
