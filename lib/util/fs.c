/*
 * fs.c - careful file-system helpers (see fs.h).
 *
 * Secret files follow OpenBSD signify: O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600.
 * Replacement follows the write-temp, fsync, rename, fsync-dir pattern so a
 * crash leaves either the old or the new content, never a mix.
 */

#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdatomic.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SECRET_MAX 4096

static int write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int fs_read_file(const char *path, size_t max, unsigned char **out, size_t *len, sertel_err *err)
{
    int fd = -1, rc = SERTEL_OK;
    struct stat st;
    unsigned char *buf = NULL;
    size_t cap, used = 0;

    *out = NULL;
    *len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = sertel_err_set(err, errno == ENOENT ? SERTEL_ERR_NOTFOUND : SERTEL_ERR_IO,
                            "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "%s is not a regular file", path);
        goto out;
    }
    if ((unsigned long long)st.st_size > max) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "%s is too large (%lld bytes, the limit is %zu)", path,
                            (long long)st.st_size, max);
        goto out;
    }
    cap = (size_t)st.st_size + 1;
    buf = malloc(cap);
    if (buf == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory reading %s", path);
        goto out;
    }
    for (;;) {
        ssize_t n;
        if (used + 1 >= cap) {
            /* file grew since fstat: allow up to max */
            unsigned char *nb;
            if (cap > max) {
                /* Exactly max bytes so far: fine if this is the end. */
                unsigned char probe;
                ssize_t pn;
                do {
                    pn = read(fd, &probe, 1);
                } while (pn < 0 && errno == EINTR);
                if (pn == 0)
                    break;
                rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                    "%s is too large (the limit is %zu "
                                    "bytes)",
                                    path, max);
                goto out;
            }
            cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            nb = realloc(buf, cap + 1);
            if (nb == NULL) {
                rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory reading %s", path);
                goto out;
            }
            buf = nb;
        }
        n = read(fd, buf + used, cap - used - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    buf[used] = '\0';
    *out = buf;
    *len = used;
    buf = NULL;
out:
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}

int fs_sync_dir(const char *dir, sertel_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot open directory %s: %s", dir,
                              strerror(errno));
    if (fsync(fd) != 0 && errno != EINVAL) {
        int e = errno;
        close(fd);
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot sync directory %s: %s", dir, strerror(e));
    }
    close(fd);
    return SERTEL_OK;
}

static int dir_of(const char *path, char *out, size_t cap)
{
    char tmp[PATH_MAX];

    size_t n = strlen(path);

    if (n >= sizeof(tmp))
        return -1;
    memcpy(tmp, path, n + 1);
    if ((size_t)snprintf(out, cap, "%s", dirname(tmp)) >= cap)
        return -1;
    return 0;
}

/*
 * Why an existing path of this type is not written to (NULL when it may be).
 * streams: character devices and FIFOs are accepted (users' outputs only).
 */
static const char *refused_kind(mode_t m, int streams)
{
    if (S_ISREG(m))
        return NULL;
    if (streams && (S_ISCHR(m) || S_ISFIFO(m)))
        return NULL;
    if (S_ISLNK(m))
        return "is a symbolic link: give the real path";
    if (S_ISDIR(m))
        return "is a directory: give a file name";
    if (S_ISBLK(m))
        return "is a block device: sertel writes only to files, character devices, FIFOs and "
               "stdout";
    if (S_ISCHR(m) || S_ISFIFO(m))
        return "is a device or FIFO, not a regular file: sertel replaces only regular files here";
    return "is neither a regular file nor a character device or FIFO: give a file name";
}

/* lstat path: SERTEL_OK with *exists, or the refusal of refused_kind. */
static int check_target(const char *path, int streams, struct stat *st, int *exists,
                        sertel_err *err)
{
    const char *why;

    *exists = 0;
    if (lstat(path, st) != 0) {
        if (errno == ENOENT)
            return SERTEL_OK;
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    }
    *exists = 1;
    why = refused_kind(st->st_mode, streams);
    if (why != NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "%s %s", path, why);
    return SERTEL_OK;
}

enum { OUT_FILE, OUT_STREAM, OUT_STDOUT, OUT_FD };

struct fs_output {
    int kind;
    int fd;
    char *path; /* as given ("-" for stdout) */
    char *tmp;  /* OUT_FILE: the temporary renamed at commit; OUT_FD: the directory for
                   intermediate files */
    int exists; /* the target existed when opened: dev/ino below */
    dev_t dev;
    ino_t ino;
    EVP_MD_CTX *md; /* FS_OUTPUT_SHA256 */
};

static void output_free(fs_output *o)
{
    if (o == NULL)
        return;
    if (o->fd >= 0 && o->kind != OUT_STDOUT && o->kind != OUT_FD)
        close(o->fd);
    if (o->tmp != NULL && o->kind != OUT_FD)
        unlink(o->tmp);
    free(o->tmp);
    free(o->path);
    EVP_MD_CTX_free(o->md);
    free(o);
}

int fs_output_is_stdout(const char *path)
{
    return strcmp(path, "-") == 0;
}

/* A temporary "<path>.<tag>-XXXXXX" next to path (mode 0600 until chmod). */
static int temp_beside(const char *path, const char *tag, char **tmp, int *fd, sertel_err *err)
{
    size_t n = strlen(path) + strlen(tag) + 10;
    char *t = malloc(n);

    *tmp = NULL;
    *fd = -1;
    if (t == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    if ((size_t)snprintf(t, n, "%s.%s-XXXXXX", path, tag) >= n || n > PATH_MAX) {
        free(t);
        return sertel_err_set(err, SERTEL_ERR_INVALID, "path too long: %.200s", path);
    }
    *fd = mkostemp(t, O_CLOEXEC);
    if (*fd < 0) {
        int e = errno;
        free(t);
        return sertel_err_set(err, SERTEL_ERR_IO,
                              "cannot create a file next to %s: %s (check the directory exists "
                              "and is writable)",
                              path, strerror(e));
    }
    *tmp = t;
    return SERTEL_OK;
}

int fs_output_open(const char *path, mode_t mode, int flags, fs_output **out, sertel_err *err)
{
    fs_output *o = NULL;
    struct stat st;
    int rc;

    *out = NULL;
    o = calloc(1, sizeof(*o));
    if (o == NULL || (o->path = strdup(path)) == NULL) {
        free(o);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    o->fd = -1;
    if ((flags & FS_OUTPUT_SHA256) &&
        ((o->md = EVP_MD_CTX_new()) == NULL || !EVP_DigestInit_ex(o->md, EVP_sha256(), NULL))) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (fs_output_is_stdout(path)) {
        o->kind = OUT_STDOUT;
        o->fd = STDOUT_FILENO;
        fflush(stdout); /* what stdio holds goes first */
        if (fstat(o->fd, &st) == 0) {
            o->exists = 1;
            o->dev = st.st_dev;
            o->ino = st.st_ino;
        }
        *out = o;
        return SERTEL_OK;
    }
    if ((rc = check_target(path, 1, &st, &o->exists, err)) != SERTEL_OK)
        goto fail;
    if (o->exists && !S_ISREG(st.st_mode)) {
        /* A device or FIFO: written into, never created, truncated or replaced. O_NOFOLLOW
         * and the type check after open close the window since lstat. */
        struct stat st2;
        o->kind = OUT_STREAM;
        o->fd = open(path, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
        if (o->fd < 0) {
            if (errno == ELOOP)
                rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                    "%s is a symbolic link: give the real path", path);
            else
                rc =
                    sertel_err_set(err, SERTEL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
            goto fail;
        }
        if (fstat(o->fd, &st2) != 0 || (!S_ISCHR(st2.st_mode) && !S_ISFIFO(st2.st_mode))) {
            rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                "%s changed while being opened: give it again", path);
            goto fail;
        }
        o->dev = st2.st_dev;
        o->ino = st2.st_ino;
        *out = o;
        return SERTEL_OK;
    }
    o->kind = OUT_FILE;
    if (o->exists) {
        o->dev = st.st_dev;
        o->ino = st.st_ino;
    }
    if ((rc = temp_beside(path, "tmp", &o->tmp, &o->fd, err)) != SERTEL_OK)
        goto fail;
    if (fchmod(o->fd, mode) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s: %s", path, strerror(errno));
        goto fail;
    }
    *out = o;
    return SERTEL_OK;
fail:
    output_free(o);
    return rc;
}

int fs_output_write(fs_output *o, const void *data, size_t len, sertel_err *err)
{
    if (o->fd < 0)
        return sertel_err_set(err, SERTEL_ERR_STATE, "%s is closed", fs_output_name(o));
    if (o->md != NULL && len > 0 && !EVP_DigestUpdate(o->md, data, len))
        return sertel_err_set(err, SERTEL_ERR_CRYPTO, "hashing %s failed", fs_output_name(o));
    if (write_all(o->fd, data, len) != 0)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s: %s", fs_output_name(o),
                              strerror(errno));
    return SERTEL_OK;
}

int fs_output_copy_file(fs_output *o, const char *path, sertel_err *err)
{
    unsigned char *blk = malloc(1u << 20);
    int fd = -1, rc = SERTEL_OK;
    ssize_t n;

    if (blk == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    for (;;) {
        n = read(fd, blk, 1u << 20);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        if ((rc = fs_output_write(o, blk, (size_t)n, err)) != SERTEL_OK)
            goto out;
    }
out:
    if (fd >= 0)
        close(fd);
    free(blk);
    return rc;
}

int fs_output_can_rewind(const fs_output *o)
{
    return o->kind == OUT_FILE || o->kind == OUT_FD;
}

int fs_output_rewind(fs_output *o, sertel_err *err)
{
    if ((o->kind != OUT_FILE && o->kind != OUT_FD) || o->fd < 0)
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "%s cannot be rewound: what was written to it stays written",
                              fs_output_name(o));
    if (ftruncate(o->fd, 0) != 0 || lseek(o->fd, 0, SEEK_SET) != 0)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s: %s", o->path, strerror(errno));
    if (o->md != NULL && !EVP_DigestInit_ex(o->md, EVP_sha256(), NULL))
        return sertel_err_set(err, SERTEL_ERR_CRYPTO, "hashing %s failed", o->path);
    return SERTEL_OK;
}

int fs_output_same(const fs_output *o, const char *path)
{
    struct stat st;

    return o->exists && stat(path, &st) == 0 && st.st_dev == o->dev && st.st_ino == o->ino;
}

int fs_output_temp(const fs_output *o, const char *tag, char **path, sertel_err *err)
{
    const char *dir;
    size_t n;
    char *t;
    int fd, rc;

    *path = NULL;
    if (o->kind == OUT_FD) {
        /* "<tmpdir>/sertel-<tag>-XXXXXX" */
        n = strlen(o->tmp) + strlen(tag) + 20;
        if ((t = malloc(n)) == NULL)
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        if ((size_t)snprintf(t, n, "%s/sertel-%s-XXXXXX", o->tmp, tag) >= n ||
            (fd = mkostemp(t, O_CLOEXEC)) < 0) {
            rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot create a temporary file in %s: %s",
                                o->tmp, strerror(errno));
            free(t);
            return rc;
        }
        close(fd);
        *path = t;
        return SERTEL_OK;
    }
    if (o->kind == OUT_FILE) {
        rc = temp_beside(o->path, tag, path, &fd, err);
        if (rc == SERTEL_OK)
            close(fd);
        return rc;
    }
    dir = secure_getenv("TMPDIR");
    if (dir == NULL || dir[0] != '/')
        dir = "/tmp";
    n = strlen(dir) + strlen(tag) + 20;
    t = malloc(n);
    if (t == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    if ((size_t)snprintf(t, n, "%s/sertel-%s-XXXXXX", dir, tag) >= n ||
        (fd = mkostemp(t, O_CLOEXEC)) < 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO,
                            "cannot create a temporary file in %s: %s (set TMPDIR to a writable "
                            "directory)",
                            dir, strerror(errno));
        free(t);
        return rc;
    }
    close(fd);
    *path = t;
    return SERTEL_OK;
}

int fs_output_sha256(const fs_output *o, unsigned char out[32], sertel_err *err)
{
    EVP_MD_CTX *c;
    int ok;

    if (o->md == NULL)
        return sertel_err_set(err, SERTEL_ERR_STATE, "the output was not opened to be hashed");
    c = EVP_MD_CTX_new();
    ok = c != NULL && EVP_MD_CTX_copy_ex(c, o->md) && EVP_DigestFinal_ex(c, out, NULL);
    EVP_MD_CTX_free(c);
    return ok ? SERTEL_OK
              : sertel_err_set(err, SERTEL_ERR_CRYPTO, "hashing %s failed", fs_output_name(o));
}

const char *fs_output_name(const fs_output *o)
{
    return o->kind == OUT_STDOUT ? "stdout" : o->path;
}

int fs_output_commit(fs_output *o, sertel_err *err)
{
    char dir[PATH_MAX];
    struct stat st;
    int exists = 0, rc = SERTEL_OK, fd = o->fd;

    o->fd = -1;
    if (o->kind == OUT_STDOUT || o->kind == OUT_FD)
        goto out; /* written with write(2): nothing buffered; OUT_FD: the caller's file */
    if (o->kind == OUT_STREAM) {
        if (close(fd) != 0 && errno != EINTR)
            rc =
                sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s: %s", o->path, strerror(errno));
        goto out;
    }
    if (fsync(fd) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s: %s", o->path, strerror(errno));
        close(fd);
        goto out;
    }
    if (close(fd) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s: %s", o->path, strerror(errno));
        goto out;
    }
    /* Whatever appeared at the path meanwhile is not replaced unless it is a regular file. */
    if ((rc = check_target(o->path, 0, &st, &exists, err)) != SERTEL_OK)
        goto out;
    if (dir_of(o->path, dir, sizeof(dir)) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "path too long: %.200s", o->path);
        goto out;
    }
    if (rename(o->tmp, o->path) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot replace %s: %s", o->path, strerror(errno));
        goto out;
    }
    free(o->tmp);
    o->tmp = NULL;
    rc = fs_sync_dir(dir, err);
out:
    output_free(o);
    return rc;
}

void fs_output_abort(fs_output *o)
{
    if (o != NULL && o->kind == OUT_FD && o->fd >= 0 && ftruncate(o->fd, 0) == 0)
        (void)lseek(o->fd, 0, SEEK_SET); /* nothing of an abandoned output stays readable */
    output_free(o);
}

int fs_output_open_fd(int fd, const char *name, const char *tmpdir, int flags, fs_output **out,
                      sertel_err *err)
{
    fs_output *o = NULL;
    struct stat st;
    int rc;

    *out = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is not a regular file", name);
    if ((o = calloc(1, sizeof(*o))) == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    o->kind = OUT_FD; /* the descriptor and the directory are never closed or removed */
    o->fd = -1;
    if ((o->path = strdup(name)) == NULL || (o->tmp = strdup(tmpdir)) == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    o->fd = fd;
    o->exists = 1;
    o->dev = st.st_dev;
    o->ino = st.st_ino;
    if ((flags & FS_OUTPUT_SHA256) &&
        ((o->md = EVP_MD_CTX_new()) == NULL || !EVP_DigestInit_ex(o->md, EVP_sha256(), NULL))) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s: %s", name, strerror(errno));
        goto fail;
    }
    *out = o;
    return SERTEL_OK;
fail:
    output_free(o);
    return rc;
}

int fs_write_output(const char *path, const void *data, size_t len, mode_t mode, sertel_err *err)
{
    fs_output *o = NULL;
    int rc = fs_output_open(path, mode, 0, &o, err);

    if (rc != SERTEL_OK)
        return rc;
    rc = fs_output_write(o, data, len, err);
    if (rc != SERTEL_OK) {
        fs_output_abort(o);
        return rc;
    }
    return fs_output_commit(o, err);
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, sertel_err *err)
{
    char tmp[PATH_MAX], dir[PATH_MAX];
    int fd = -1, rc = SERTEL_OK;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= sizeof(tmp) ||
        dir_of(path, dir, sizeof(dir)) != 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "path too long: %s", path);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot create a file next to %s: %s", path,
                              strerror(errno));
    /* Locked until renamed: fs_remove_stale_temps leaves a file in use alone. */
    (void)flock(fd, LOCK_EX | LOCK_NB);
    if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s: %s", path, strerror(errno));
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot replace %s: %s", path, strerror(errno));
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    }
    return fs_sync_dir(dir, err);
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return rc;
}

/* 1 when name is "<prefix>.tmp-XXXXXX" (any non-empty prefix when prefix is NULL). */
static int is_temp_name(const char *name, const char *prefix)
{
    size_t n = strlen(name), i;
    const char *t;

    if (n < 12)
        return 0;
    t = name + n - 11;
    if (memcmp(t, ".tmp-", 5) != 0)
        return 0;
    for (i = 5; i < 11; i++) {
        unsigned char c = (unsigned char)t[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return 0;
    }
    if (prefix == NULL)
        return 1;
    return (size_t)(t - name) == strlen(prefix) && memcmp(name, prefix, strlen(prefix)) == 0;
}

int fs_remove_stale_temps(const char *dir, const char *prefix, int64_t min_age, int *removed,
                          sertel_err *err)
{
    DIR *d = NULL;
    struct dirent *e;
    struct stat st, fst;
    int dfd, fd, rc = SERTEL_OK;
    time_t now = time(NULL);

    if (removed != NULL)
        *removed = 0;
    d = opendir(dir);
    if (d == NULL) {
        if (errno == ENOENT)
            return SERTEL_OK;
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot read the directory %s: %s", dir,
                              strerror(errno));
    }
    dfd = dirfd(d);
    while ((errno = 0, e = readdir(d)) != NULL) {
        if (!is_temp_name(e->d_name, prefix))
            continue;
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue; /* gone already, or not something fs_write_atomic leaves */
        if (now == (time_t)-1 || (int64_t)now - (int64_t)st.st_mtime < min_age)
            continue; /* recent: perhaps a write in progress */
        fd = openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        /* A writer holds its lock until the rename; the same file still under that name. */
        if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &fst) == 0 && fst.st_ino == st.st_ino &&
            fst.st_dev == st.st_dev) {
            if (unlinkat(dfd, e->d_name, 0) == 0) {
                if (removed != NULL)
                    (*removed)++;
            } else if (errno != ENOENT && rc == SERTEL_OK) {
                rc = sertel_err_set(err, SERTEL_ERR_IO,
                                    "cannot remove the stale temporary file %s/%s: %s", dir,
                                    e->d_name, strerror(errno));
            }
        }
        close(fd);
    }
    if (errno != 0 && rc == SERTEL_OK)
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot read the directory %s: %s", dir,
                            strerror(errno));
    closedir(d);
    return rc;
}

int fs_create_excl(const char *path, const void *data, size_t len, mode_t mode, sertel_err *err)
{
    int fd;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return sertel_err_set(err, errno == EEXIST ? SERTEL_ERR_EXISTS : SERTEL_ERR_IO,
                              "cannot create %s: %s", path, strerror(errno));
    if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(path);
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s: %s", path, strerror(e));
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(path);
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot write %s: %s", path, strerror(e));
    }
    return SERTEL_OK;
}

int fs_digest_file(const char *path, const EVP_MD *md, unsigned char *out, unsigned int *len,
                   sertel_err *err)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned char *blk = malloc(1u << 20);
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = SERTEL_OK;
    ssize_t n;

    if (c == NULL || blk == NULL || !EVP_DigestInit_ex(c, md, NULL)) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (fd < 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    while ((n = read(fd, blk, 1u << 20)) > 0)
        if (!EVP_DigestUpdate(c, blk, (size_t)n)) {
            rc = sertel_err_set(err, SERTEL_ERR_CRYPTO, "hashing %s failed", path);
            goto out;
        }
    if (n < 0)
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    else if (!EVP_DigestFinal_ex(c, out, len))
        rc = sertel_err_set(err, SERTEL_ERR_CRYPTO, "hashing %s failed", path);
out:
    if (fd >= 0)
        close(fd);
    free(blk);
    EVP_MD_CTX_free(c);
    return rc;
}

int fs_sha256_file(const char *path, unsigned char out[32], sertel_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int rc = fs_digest_file(path, EVP_sha256(), md, &n, err);

    if (rc == SERTEL_OK)
        memcpy(out, md, 32);
    return rc;
}

int fs_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

void fs_rmtree(const char *path)
{
    DIR *d;
    struct dirent *de;
    struct stat st;
    char child[PATH_MAX];

    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    d = opendir(path);
    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            if ((size_t)snprintf(child, sizeof(child), "%s/%s", path, de->d_name) < sizeof(child))
                fs_rmtree(child);
        }
        closedir(d);
    }
    rmdir(path);
}

static atomic_int held;

int secret_held(void)
{
    return atomic_load(&held);
}

void secret_held_mark(void)
{
    atomic_store(&held, 1);
}

int secret_read_file(const char *path, char **out, sertel_err *err)
{
    unsigned char *raw = NULL;
    size_t len = 0, n;
    char *s = NULL;
    int rc;

    *out = NULL;
    secret_held_mark();
    rc = fs_read_file(path, SECRET_MAX, &raw, &len, err);
    if (rc != SERTEL_OK)
        return rc;
    for (n = 0; n < len && raw[n] != '\n' && raw[n] != '\r'; n++)
        ;
    if (n == 0) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "secret file %s is empty: write the secret on its first line", path);
        goto out;
    }
    if (memchr(raw, '\0', n) != NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "secret file %s contains a NUL byte: write plain text", path);
        goto out;
    }
    s = sodium_init() < 0 ? NULL : sodium_malloc(n + 1);
    if (s == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of secure memory");
        goto out;
    }
    memcpy(s, raw, n);
    s[n] = '\0';
    *out = s;
out:
    sodium_memzero(raw, len);
    free(raw);
    return rc;
}

char *secret_dup(const char *s)
{
    size_t n = strlen(s);
    char *d;

    secret_held_mark();
    d = sodium_init() < 0 ? NULL : sodium_malloc(n + 1);
    if (d != NULL)
        memcpy(d, s, n + 1);
    return d;
}

void secret_free(char *s)
{
    if (s != NULL)
        sodium_free(s); /* sodium_free wipes before releasing */
}

int fs_path_join(char *out, size_t cap, const char *dir, const char *name, sertel_err *err)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);

    if (n < 0 || (size_t)n >= cap)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "path too long under %s", dir);
    return SERTEL_OK;
}
